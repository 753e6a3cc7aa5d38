import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Challenge–response proof of the shared secret. The secret itself never crosses the wire:
 *
 *   server -> Hello { nonce: Ns }
 *   client -> Auth  { role, nonce: Nc, proof: HMAC(secret, "sb1 client" | Ns | Nc | role) }
 *   server -> AuthOk{ proof: HMAC(secret, "sb1 server" | Nc | Ns) }   (the client checks the server too)
 *
 * Fresh nonces on both sides make a recorded handshake useless on another connection.
 */

export const NONCE_BYTES = 32;

/** @default 5000 ms: time a peer has to complete the handshake before it is disconnected. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5000;

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

function hmac(secret: string, label: string, ...parts: (Uint8Array | string)[]): Buffer {
  const h = createHmac('sha256', secret).update(label);
  for (const part of parts) h.update(part);
  return h.digest();
}

export function clientProof(secret: string, serverNonce: Uint8Array, clientNonce: Uint8Array, role: string): Buffer {
  return hmac(secret, 'sb1 client', serverNonce, clientNonce, role);
}

export function serverProof(secret: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Buffer {
  return hmac(secret, 'sb1 server', clientNonce, serverNonce);
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(expected: Buffer, received: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(expected, received);
}
