import type { ClientRegistry } from './client-registry.ts';

/**
 * One timer for all clients (not one per client): every `interval` each client is pinged (a WebSocket ping,
 * or `pingData` as a text message for clients that cannot answer pings). A client that left `limit`
 * heartbeats in a row unanswered is cut off; 0 never cuts anyone off. Any message or pong is an answer.
 */
export class ClientHeartbeat {
  private readonly timer: NodeJS.Timeout;

  constructor(
    registry: ClientRegistry,
    interval: number,
    limit: number,
    pingData: string,
    onDead: (clientId: string) => void,
  ) {
    const pingText = pingData ? Buffer.from(pingData) : null;
    this.timer = setInterval(() => {
      for (const client of registry.clients.values()) {
        if (limit > 0 && client.missedPings >= limit) {
          onDead(client.id);
          client.ws.terminate();
          continue;
        }
        client.missedPings++;
        if (pingText) client.ws.send(pingText, { binary: false });
        else client.ws.ping();
      }
    }, interval);
    this.timer.unref();
  }

  cancel(): void {
    clearInterval(this.timer);
  }
}
