// A worker that joins gets a fair share of the clients: 2 gateways, one loaded worker, 46 clients streaming
// numbered messages; a second worker joins, is drained away (SIGTERM) and joins again. Each time the events
// spread over the workers within a bounded wait, every client's replies stay in order with none lost or
// doubled, the session each handler leaves is what the next one sees (whichever worker runs it), and clients
// with a route key stay where their key's hash puts them. Real processes, real WebSocket clients.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { pickByKey } from '../../gateway/route-hash.ts';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { metricValue, samples, scrape } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const cluster = new Cluster({ host: '127.0.0.71', gateways: 2, workers: 1 });
const NAMES = ['w0', 'w1'];
/** Clients without a route key, half on each gateway. */
const PLAIN = 40;
/** Route keys that hash to w0, and to w1, when both are up. */
const keysFor = (name: string, n: number) => {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) if (pickByKey(`room-${i}`, NAMES, (w) => w) === name) keys.push(`room-${i}`);
  return keys;
};
const KEYS_W0 = keysFor('w0', 4);
const KEYS_W1 = keysFor('w1', 2);
/** Each client sends a burst of this many numbered messages every TICK_MS (20 a second). */
const BURST = 2;
const TICK_MS = 100;

type Reply = { seq: number; count: number; last: number | null; worker: number };
/** A reply as the test saw it arrive. */
type Seen = Reply & { at: number };

interface Streamer {
  client: TestClient & { clientId: string };
  key: string | null;
  /** The session value set before any worker joined. */
  mark: string;
  sent: number;
  seen: Seen[];
}

const streamers: Streamer[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isReply = (m: unknown) => typeof field(m, 'seq') === 'number';

let sending = false;
let stream: Promise<void> = Promise.resolve();
function startStreaming(): void {
  sending = true;
  stream = (async () => {
    while (sending) {
      for (const s of streamers) for (let i = 0; i < BURST; i++) s.client.send({ seq: s.sent++ });
      await sleep(TICK_MS);
    }
  })();
}

async function stopStreaming(): Promise<void> {
  sending = false;
  await stream;
  for (const s of streamers) {
    await until(
      `client ${s.client.clientId} answered up to ${s.sent - 1}`,
      () => s.seen.length,
      (n) => n >= s.sent,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  }
}

/** Replies (all clients) that arrived in [from, to), counted per worker pid. */
function handledBy(from: number, to: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of streamers)
    for (const r of s.seen) if (r.at >= from && r.at < to) out.set(r.worker, (out.get(r.worker) ?? 0) + 1);
  return out;
}

/** When the first reply from worker `pid` arrived after `from`. */
function firstFrom(pid: number, from: number): number {
  let first = Infinity;
  for (const s of streamers) for (const r of s.seen) if (r.worker === pid && r.at >= from && r.at < first) first = r.at;
  return first;
}

/** Each worker's share of the replies in [from, to): [share of `a`, share of `b`, total]. */
function shares(from: number, to: number, a: number, b: number): [number, number, number] {
  const by = handledBy(from, to);
  const total = [...by.values()].reduce((x, y) => x + y, 0);
  return [(by.get(a) ?? 0) / total, (by.get(b) ?? 0) / total, total];
}

/** When the worker named `name` was linked to both gateways, from their logs. */
async function joinedAt(name: string, after: number): Promise<number> {
  const times = await Promise.all(
    cluster.gateways.map(async (g) => {
      const line = await g.waitForLine(
        `worker ${name} connected`,
        (l) => l.msg === `worker ${name} connected` && Date.parse(String(l.time)) >= after,
        20_000,
      );
      return Date.parse(String(line.time));
    }),
  );
  return Math.max(...times);
}

/**
 * Waits until, over a quarter-second window, each of `a` and `b` handles 40–60% of the events, and returns how
 * long after `t0` that window ended (so never less than the window).
 */
async function untilBalanced(t0: number, a: number, b: number): Promise<number> {
  const WINDOW = 250;
  const end = await until(
    'both workers handle about half of the events',
    () => {
      for (let to = t0 + WINDOW; to <= Date.now(); to += 25) {
        const [sa, sb, total] = shares(to - WINDOW, to, a, b);
        if (total >= 40 && sa >= 0.4 && sa <= 0.6 && sb >= 0.4 && sb <= 0.6) return to;
      }
      return null;
    },
    (to) => to !== null,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return end! - t0;
}

/** Sums a gateway counter over both gateways. */
async function sumOverGateways(metric: string): Promise<number> {
  const values = await Promise.all(
    cluster.gateways.map(async (_, g) => metricValue(await scrape(cluster.metricsUrl(g)), metric) ?? 0),
  );
  return values.reduce((x, y) => x + y, 0);
}

/** Asserts every reply of every client so far: in order, none lost or doubled, each seeing the last one's session. */
function assertOrderAndSessions(): void {
  for (const s of streamers) {
    s.seen.forEach((r, i) => {
      assert.equal(r.seq, i, `client ${s.client.clientId}: reply ${i} is for message ${i} (in order, none lost)`);
      assert.equal(r.count, i + 1, `client ${s.client.clientId}: the session count carried over to reply ${i}`);
      assert.equal(r.last, i === 0 ? null : i - 1, `client ${s.client.clientId}: reply ${i} saw the previous seq`);
    });
  }
}

const pidOf = (i: number) => cluster.workers[i]!.proc.pid!;

describe('balanced workers', () => {
  before(async () => {
    await cluster.start();
    const layout = [...Array.from({ length: PLAIN }, () => null), ...KEYS_W0, ...KEYS_W1];
    await Promise.all(
      layout.map(async (key, i) => {
        const client = await TestClient.connect(cluster.wsUrl(i % 2));
        const mark = `set-before-${i}`;
        await client.call('updateSession', '$self', { mark });
        if (key !== null) await client.call('setRouteKey', '$self', key);
        const s: Streamer = { client, key, mark, sent: 0, seen: [] };
        client.ws.on('message', (raw: Buffer, binary: boolean) => {
          if (binary) return;
          const msg = JSON.parse(raw.toString()) as unknown;
          if (isReply(msg)) s.seen.push({ ...(msg as Reply), at: Date.now() });
        });
        streamers.push(s);
      }),
    );
  });

  after(async () => {
    sending = false;
    await stream;
    for (const s of streamers) s.client.close();
    await killAll();
  });

  it('gives a worker that joins a loaded one about half of the events, keeping order and sessions', async (t: TestContext) => {
    startStreaming();
    await sleep(1500);
    const w0 = pidOf(0);
    const loneShare = handledBy(0, Date.now());
    assert.deepEqual([...loneShare.keys()], [w0], 'one worker handles everything before the second joins');

    const startedAt = Date.now();
    const second = cluster.startWorker(1);
    await cluster.workerReady(second);
    const t0 = await joinedAt('w1', startedAt);
    const w1 = pidOf(1);
    const tookMs = await untilBalanced(t0, w0, w1);
    t.diagnostic(
      `w1 linked to both gateways ${t0 - startedAt} ms after it was started; its first reply ${firstFrom(w1, t0) - t0} ms ` +
        `later; both handled 40-60% of the events over 250 ms within ${tookMs} ms of the join`,
    );

    // Over a later window, each handles a fair part of the events.
    const from = Date.now();
    await sleep(3000);
    const [s0, s1, total] = shares(from, Date.now(), w0, w1);
    assert.ok(total > 500, `enough events to judge: ${total}`);
    assert.ok(s0 >= 0.3 && s0 <= 0.7 && s1 >= 0.3 && s1 <= 0.7, `shares ${s0.toFixed(2)} / ${s1.toFixed(2)}`);
    await stopStreaming();
    assertOrderAndSessions();

    // Clients moved: about half of them, not all, and they were not moved back and forth.
    const moved = await sumOverGateways('switchboard_gateway_clients_moved_total');
    assert.ok(moved >= 15 && moved <= 24, `${moved} of ${streamers.length} clients moved`);
    for (const g of cluster.gateways.keys()) {
      const perWorker = samples(await scrape(cluster.metricsUrl(g)), 'switchboard_gateway_worker_clients');
      assert.deepEqual(perWorker.map((p) => p.labels.worker).sort(), NAMES);
      const [a, b] = perWorker.map((p) => p.value);
      assert.ok(Math.abs(a! - b!) <= 2, `gateway ${g}: ${a} and ${b} clients`);
    }

    // Each client changed workers once at most: no back and forth.
    for (const s of streamers.filter((x) => x.key === null)) {
      const changes = s.seen.filter((r, i) => i > 0 && r.worker !== s.seen[i - 1]!.worker).length;
      assert.ok(changes <= 1, `client ${s.client.clientId} changed workers ${changes} times`);
    }
    const plainMoved = streamers.filter((s) => s.key === null && new Set(s.seen.map((r) => r.worker)).size > 1);
    assert.ok(plainMoved.length >= 10, `${plainMoved.length} clients without a key changed workers`);
    // A session value set before the move is there after it.
    for (const [i, s] of plainMoved.entries()) {
      const id = 1_000_000 + i;
      s.client.send({ op: 'ctx', id });
      const reply = (await s.client.next((m) => field(m, 'id') === id)) as { result: { session: { mark: string } } };
      assert.equal(reply.result.session.mark, s.mark);
    }
    // Keyed clients go where their key hashes, and nowhere else.
    for (const s of streamers.filter((x) => x.key !== null)) {
      const after = s.seen.filter((r) => r.at > t0 + tookMs).map((r) => r.worker);
      const home = KEYS_W0.includes(s.key!) ? w0 : w1;
      assert.ok(after.length > 0 && after.every((pid) => pid === home), `${s.key}: only on its key's worker`);
      if (home === w0)
        assert.ok(
          s.seen.every((r) => r.worker === w0),
          `${s.key} never moved`,
        );
    }
  });

  it('drains the joined worker without a loss, and spreads the clients again when it comes back', async (t: TestContext) => {
    const movedBefore = await sumOverGateways('switchboard_gateway_clients_moved_total');
    startStreaming();
    await sleep(1000);
    const w0 = pidOf(0);
    await cluster.workers[1]!.kill('SIGTERM');
    const drainedAt = Date.now();
    await sleep(1000);
    const [alone] = shares(drainedAt + 500, Date.now(), w0, -1);
    assert.equal(alone, 1, 'the remaining worker handles everything');

    const startedAt = Date.now();
    const again = cluster.startWorker(1);
    await cluster.workerReady(again);
    const t0 = await joinedAt('w1', startedAt);
    const tookMs = await untilBalanced(t0, w0, pidOf(1));
    t.diagnostic(
      `w1 again: first reply ${firstFrom(pidOf(1), t0) - t0} ms after the join; both handled 40-60% within ${tookMs} ms`,
    );
    await stopStreaming();
    assertOrderAndSessions();
    const moved = (await sumOverGateways('switchboard_gateway_clients_moved_total')) - movedBefore;
    assert.ok(moved >= 15 && moved <= 24, `${moved} clients moved to the worker that came back`);
    for (const s of streamers) assert.equal(s.client.closeCode, null, 'no client was disconnected');
  });
});
