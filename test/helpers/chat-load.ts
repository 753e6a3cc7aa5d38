import { field } from './inbox.ts';
import { TestClient } from './ws-client.ts';

/**
 * A steady load on the demo chat: `clients` WebSocket clients, each logged in as `load-i` and in the room
 * `load`, each sending itself `perSecond` private messages a second (one in and one out at the gateway each).
 */
export class ChatLoad {
  private timer: NodeJS.Timeout | null = null;

  private constructor(readonly clients: TestClient[]) {}

  static async start(url: string, clients: number, perSecond: number): Promise<ChatLoad> {
    const connected = await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const client = await TestClient.connect(url);
        client.send({ type: 'login', uid: `load-${i}` });
        await client.next((m) => field(m, 'type') === 'welcome', 20_000);
        client.send({ type: 'join', room: 'load' });
        return client;
      }),
    );
    const load = new ChatLoad(connected);
    const tick = 50;
    const perTick = perSecond / (1000 / tick);
    let owed = 0;
    load.timer = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed--) {
        connected.forEach((client, i) => client.send({ type: 'say', to: `load-${i}`, text: 'load' }));
      }
      // What the clients received is not looked at: drop it so memory stays flat.
      for (const client of connected) client.received.length = 0;
    }, tick);
    return load;
  }

  /** Stops sending and closes every client. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const client of this.clients) client.close();
  }
}
