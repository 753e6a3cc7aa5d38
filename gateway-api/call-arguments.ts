import { gatewayOf } from '../shared/client-id.ts';
import { MAX_NAME_LENGTH, MAX_NESTING, nestsAtMost, type Payload, type SessionData } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';

// The Gateway API's argument checks: its callers are plain JavaScript too (and the HTTP API passes JSON on),
// so every argument is checked at run time whatever its declared type, and named in the error.

/** What can be sent to a client: text, bytes, or any other value (sent as JSON text). */
export type SendData = string | Uint8Array | ArrayBuffer | object | number | boolean;
/** A uid or group id; numbers are accepted and turned into strings. */
export type Name = string | number;
export type { SessionData };

/** Throws SB_ERR_INVALID_ARGUMENT naming the call. */
export function invalid(call: string, what: string): never {
  throw new SwitchboardError(ErrorCode.InvalidArgument, `${call}: ${what}`);
}

/** A uid, group or client id as the wire takes it; SB_ERR_INVALID_ARGUMENT for anything else. */
export function name(call: string, label: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string')
    invalid(call, `${label} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (value.length > MAX_NAME_LENGTH) invalid(call, `${label} is longer than ${MAX_NAME_LENGTH} characters`);
  return value;
}

/** One name or an array of them, as an array. */
export function nameList(call: string, label: string, value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((v) => name(call, label, v));
}

/** The inner address of the gateway that owns a client id; SB_ERR_INVALID_ARGUMENT if it is not one. */
export function ownerOf(call: string, clientId: unknown): string {
  const gateway = gatewayOf(name(call, 'clientId', clientId));
  if (gateway === null) invalid(call, `"${String(clientId).slice(0, 80)}" is not a Switchboard client id`);
  return gateway;
}

/** `data` as it goes on the wire; SB_ERR_INVALID_ARGUMENT for what cannot be sent. */
export function payload(call: string, data: unknown): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data === undefined || data === null || typeof data === 'function' || typeof data === 'symbol') {
    invalid(call, `data must be a string, bytes or a JSON value, got ${data === null ? 'null' : typeof data}`);
  }
  return JSON.stringify(data);
}

function isSessionData(value: unknown): value is SessionData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A session object; SB_ERR_INVALID_ARGUMENT for anything else. */
export function session(call: string, value: unknown): SessionData {
  if (!isSessionData(value)) invalid(call, 'session must be an object');
  // A gateway refuses deeper ones as a bad frame, closing the link they came on.
  if (!nestsAtMost(value)) invalid(call, `session must not nest deeper than ${MAX_NESTING} levels`);
  return value;
}
