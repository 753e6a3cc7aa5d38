// The client library (switchboard/client) from Node against real gateways running the demo chat: JSON both
// ways, a gateway stopped and started again while messages wait in the client's queue, the text heartbeat
// answered, and a stalled gateway detected and left for a working connection.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SwitchboardClient, type ClientEvents, type ClientOptions } from 'switchboard/client';
import { WebSocket } from 'ws';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { killAll } from '../helpers/processes.ts';

const DEMO_CHAT = fileURLToPath(new URL('../../business/events.ts', import.meta.url));
// Gateway 0 is stopped and started again, gateway 1 stays up, gateway 2 sends a text heartbeat every 200 ms.
const PLAIN = ['--ping-interval', '25000'];
const HEARTBEAT = ['--ping-interval', '200', '--ping-not-response-limit', '2', '--ping-data', 'hb'];
const GATEWAY_ARGS = [PLAIN, PLAIN, HEARTBEAT];
const cluster = new Cluster({ host: '127.0.0.42', gateways: 3, workers: 1, events: DEMO_CHAT });
const clients: SwitchboardClient[] = [];

/** Starts gateway `i` with its own flags (a restarted gateway 0 must not get gateway 2's text heartbeat). */
function startGateway(i: number) {
  cluster.layout.gatewayArgs = GATEWAY_ARGS[i];
  return cluster.startGateway(i);
}

/**
 * A message event as recorded: its JSON (`m.json()`), which is undefined for text that is not JSON, so
 * predicates read it with `field`.
 */
type Chat = unknown;

/** A SwitchboardClient on `ws`, recording every event, that logs in as `uid` on each open. */
function chatClient(gateway: number, uid: string, options: ClientOptions = {}) {
  const client = new SwitchboardClient(cluster.wsUrl(gateway), { WebSocket, reconnectDelay: 100, ...options });
  clients.push(client);
  const seen: { type: keyof ClientEvents; event: unknown }[] = [];
  const wakers = new Set<() => void>();
  for (const type of ['open', 'close', 'reconnect', 'message', 'error'] as const) {
    client.on(type, (event) => {
      seen.push({ type, event: type === 'message' ? (event as ClientEvents['message']).json() : event });
      for (const wake of wakers) wake();
    });
  }
  client.on('open', () => client.send({ type: 'login', uid }));

  /** Resolves with `check()` once it is not undefined, looking again at each event; rejects after `ms`. */
  async function when<T>(what: string, check: () => T | undefined, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${uid}: no ${what} within ${ms} ms; saw ${JSON.stringify(seen)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        wakers.add(wake);
      });
    }
  }

  /** Resolves with the first `type` event (past or future) passing `test`, removing it; rejects after `ms`. */
  function next<K extends keyof ClientEvents>(
    type: K,
    test: (event: K extends 'message' ? Chat : ClientEvents[K]) => boolean = () => true,
    ms = 5000,
  ): Promise<K extends 'message' ? Chat : ClientEvents[K]> {
    const check = () => {
      const index = seen.findIndex((s) => s.type === type && test(s.event as never));
      return index >= 0 ? { event: seen.splice(index, 1)[0]!.event as never } : undefined;
    };
    return when(`${type} event`, check, ms).then((found) => found.event);
  }

  const count = (type: keyof ClientEvents, test: (event: any) => boolean = () => true) =>
    seen.filter((s) => s.type === type && test(s.event)).length;

  /** Resolves once `n` `type` events passing `test` are recorded (and not taken by `next`); rejects after `ms`. */
  async function atLeast(type: keyof ClientEvents, test: (event: any) => boolean, n: number, ms = 5000) {
    await when(`${n} ${type} events`, () => (count(type, test) >= n ? true : undefined), ms);
  }
  return { client, next, count, atLeast };
}

const typed = (type: string) => (m: Chat) => field(m, 'type') === type;
const welcome = typed('welcome');

describe('client library against a real gateway', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    for (let i = 0; i < GATEWAY_ARGS.length; i++) startGateway(i);
    await cluster.registerKnows();
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('sends objects as JSON and parses the JSON it gets', async () => {
    const alice = chatClient(1, 'alice');
    const bob = chatClient(1, 'bob');
    await alice.next('message', welcome);
    await bob.next('message', welcome);
    assert.equal(alice.client.state, 'open');
    assert.equal(alice.client.send({ type: 'say', to: 'bob', text: 'hi bob' }), true);
    assert.deepEqual(await bob.next('message', typed('say')), {
      type: 'say',
      from: 'alice',
      text: 'hi bob',
    });
    bob.client.send('not json');
    assert.match(String(field(await bob.next('message', typed('error')), 'error')), /send JSON/);
    alice.client.close();
    bob.client.close();
    assert.equal(alice.client.state, 'closed');
  });

  it('reconnects when its gateway stops and starts again, logging in before sending what waited', async () => {
    const alice = chatClient(0, 'alice');
    const bob = chatClient(1, 'bob');
    await alice.next('message', welcome);
    await bob.next('message', welcome);

    await cluster.gateways[0]!.kill('SIGTERM');
    const lost = await alice.next('close');
    assert.deepEqual(lost, { code: 1001, reason: 'gateway stopping', willReconnect: true });
    assert.equal(alice.client.state, 'reconnecting');
    for (const n of [1, 2, 3]) assert.equal(alice.client.send({ type: 'say', to: 'bob', text: `queued ${n}` }), true);
    assert.equal(alice.client.queued, 3);
    // Attempts fail while no gateway listens; each one is announced.
    await alice.next('reconnect', (e) => e.attempt >= 2, 5000);

    startGateway(0);
    assert.deepEqual(await alice.next('open', (e) => e.reconnected, 10_000), { reconnected: true });
    assert.equal(alice.client.queued, 0);
    await alice.next('message', welcome);
    for (const n of [1, 2, 3]) {
      const said = await bob.next('message', typed('say'), 10_000);
      assert.deepEqual(said, { type: 'say', from: 'alice', text: `queued ${n}` }, 'in order, after the login');
    }
    alice.client.close();
    bob.client.close();
  });

  it('answers the gateway text heartbeat and stays connected; drops a stalled gateway and comes back', async () => {
    const carol = chatClient(2, 'carol', {
      pingData: 'hb',
      // The demo chat answers "who" with the list of users: proof that each answer reached the app.
      pongData: { type: 'who' },
      heartbeatTimeout: 1000,
      connectTimeout: 1000,
    });
    await carol.next('message', welcome);
    await carol.next('message', typed('who'));
    await carol.next('message', typed('who'));
    // Five more heartbeats answered: well past the gateway's limit of 2 unanswered ones.
    await carol.atLeast('message', typed('who'), 5);
    assert.equal(carol.count('close'), 0, 'the gateway (limit 2 × 200 ms) kept a client that answers');
    assert.equal(
      carol.count('message', (m) => m === 'hb' || m === undefined),
      0,
      'heartbeats are not messages',
    );
    assert.ok(carol.count('message', typed('who')) >= 3);

    const gateway = cluster.gateways[2]!.proc;
    gateway.kill('SIGSTOP');
    try {
      const stalled = Date.now();
      const lost = await carol.next('close', () => true, 5000);
      assert.equal(lost.code, 1006);
      assert.match(lost.reason, /no message for 1000 ms/);
      assert.ok(Date.now() - stalled < 2000, 'noticed within about heartbeatTimeout');
      // The stopped process still accepts TCP connections (the kernel does), but never answers the upgrade.
      await carol.next('reconnect', (e) => e.attempt >= 2, 5000);
    } finally {
      gateway.kill('SIGCONT');
    }
    assert.deepEqual(await carol.next('open', (e) => e.reconnected, 10_000), { reconnected: true });
    await carol.next('message', welcome, 10_000);
    carol.client.close();
  });
});
