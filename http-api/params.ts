import type { Name, SendData, SessionData } from '../gateway-api/gateway-api.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';

const BAD = Symbol('bad');

/** What one body field must hold, and how it is read into the call's argument. */
interface Kind<T> {
  /** For errors: `"uid" must be WHAT`. */
  what: string;
  read(value: unknown): T | typeof BAD;
}

/**
 * One named parameter of an API call, read from the JSON body. Only the JSON type is checked here; the
 * Gateway API checks the rest (name lengths, client ids) as it does for every caller.
 */
export interface Param<T> {
  key: string;
  optional: boolean;
  kind: Kind<T>;
}

const isName = (v: unknown): v is Name => typeof v === 'string' || typeof v === 'number';

const text: Kind<string> = { what: 'a string', read: (v) => (typeof v === 'string' ? v : BAD) };
const name: Kind<Name> = { what: 'a string', read: (v) => (isName(v) ? v : BAD) };
/** One name or an array of them, as an array. */
const names: Kind<Name[]> = {
  what: 'a string or an array of strings',
  read: (v) => (isName(v) ? [v] : Array.isArray(v) && v.every(isName) ? v : BAD),
};
/** One client id or an array of them, as an array of strings. */
const ids: Kind<string[]> = {
  what: 'a client id or an array of them',
  read: (v) => (isName(v) ? [String(v)] : Array.isArray(v) && v.every(isName) ? v.map(String) : BAD),
};
const data: Kind<SendData> = {
  what: 'a string or a JSON value',
  read: (v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isObject(v) ? v : BAD),
};
const bool: Kind<boolean> = { what: 'true or false', read: (v) => (typeof v === 'boolean' ? v : BAD) };
const session: Kind<SessionData> = {
  what: 'an object',
  read: (v) => (isSessionData(v) ? v : BAD),
};

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function isSessionData(v: unknown): v is SessionData {
  return isObject(v) && !Array.isArray(v);
}

const required = <T>(key: string, kind: Kind<T>): Param<T> => ({ key, optional: false, kind });
const optional = <T>(key: string, kind: Kind<T>): Param<T | null | undefined> => ({
  key,
  optional: true,
  kind: { what: `${kind.what} or null`, read: (v) => (v == null ? v : kind.read(v)) },
});

/** Every parameter an API call can take, by the name the call gives it. */
export const P = {
  clientId: required('clientId', text),
  uid: required('uid', name),
  uidOrUids: required('uid', names),
  uids: required('uids', names),
  group: required('group', name),
  groupOrGroups: required('group', names),
  groups: required('groups', names),
  optionalGroup: optional('group', name),
  data: required('data', data),
  optionalData: optional('data', data),
  clientIds: optional('clientIds', ids),
  exclude: optional('exclude', ids),
  session: required('session', session),
  keep: optional('keep', bool),
} as const;

/** The values read for a list of parameters, in order. */
export type Values<Ps extends readonly Param<unknown>[]> = {
  -readonly [I in keyof Ps]: Ps[I] extends Param<infer T> ? T : never;
};

/** How a parameter is written in messages: `exclude?` for an optional one. */
export const label = (p: Param<unknown>) => (p.optional ? `${p.key}?` : p.key);

/**
 * Reads `params` from a request's named fields; SB_ERR_INVALID_ARGUMENT for a missing required one or one of
 * the wrong JSON type.
 */
export function readParams<Ps extends readonly Param<unknown>[]>(
  call: string,
  params: Ps,
  body: Record<string, unknown>,
): Values<Ps> {
  const values = params.map((param) => {
    const value = body[param.key];
    if (value === undefined && !param.optional) {
      throw new SwitchboardError(
        ErrorCode.InvalidArgument,
        `${call} needs "${param.key}" (parameters: ${params.map(label).join(', ')})`,
      );
    }
    const read = param.kind.read(value);
    if (read === BAD) {
      throw new SwitchboardError(ErrorCode.InvalidArgument, `${call}: "${param.key}" must be ${param.kind.what}`);
    }
    return read;
  });
  // Each value was read by its own parameter's kind, in order, just above.
  return values as Values<Ps>;
}
