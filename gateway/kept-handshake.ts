import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { ClientState } from './client-registry.ts';
import { ClientKept, offeredPositions, RECOVERY_PROTOCOL } from './kept-delivery.ts';

/**
 * The subprotocol the gateway answers an upgrade with: the recovery protocol when offered, else the first one
 * offered, as ws does without this hook, so that clients that do not recover see no change.
 */
export function chooseProtocol(protocols: Set<string>): string | false {
  if (protocols.has(RECOVERY_PROTOCOL)) return RECOVERY_PROTOCOL;
  for (const protocol of protocols) return protocol;
  return false;
}

/** Makes a client that agreed on the recovery protocol a recovering one, with the positions it offered. */
export function acceptRecovery(client: ClientState, ws: WebSocket, req: IncomingMessage): void {
  if (ws.protocol !== RECOVERY_PROTOCOL) return;
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  client.kept = new ClientKept(offeredPositions(offered));
}
