import type { ClientConnection } from './client-connection.ts';
import type { ClientRegistry } from './client-registry.ts';

/**
 * One timer for all clients (not one per client): every `interval` each client is pinged (`ping`, from the
 * gateway's wire: a WebSocket ping, or `--ping-data` as a message for clients that cannot answer pings). A
 * client that left `limit` heartbeats in a row unanswered is cut off; 0 never cuts anyone off. Any message or
 * pong is an answer.
 */
export class ClientHeartbeat {
  private readonly timer: NodeJS.Timeout;

  constructor(
    registry: ClientRegistry,
    interval: number,
    limit: number,
    ping: (conn: ClientConnection) => void,
    onDead: (clientId: string) => void,
  ) {
    this.timer = setInterval(() => {
      for (const client of registry.clients.values()) {
        if (limit > 0 && client.missedPings >= limit) {
          onDead(client.id);
          client.conn.terminate();
          continue;
        }
        client.missedPings++;
        ping(client.conn);
      }
    }, interval);
    this.timer.unref();
  }

  cancel(): void {
    clearInterval(this.timer);
  }
}
