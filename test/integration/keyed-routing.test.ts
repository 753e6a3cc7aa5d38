// Keyed routing against real processes: 2 gateways, 3 business workers. Clients that share a route key meet
// one worker whichever gateway holds them, keys spread over every worker, and after a worker is killed or
// replaced each key again lives on exactly one worker, with every client's events still in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { FIXTURES, killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { field } from '../helpers/inbox.ts';
import { TestClient } from '../helpers/ws-client.ts';

const cluster = new Cluster({
  host: '127.0.0.151',
  gateways: 2,
  workers: 3,
  events: `${FIXTURES}gatewayworker-style-app.ts`,
});
const KEYS = Array.from({ length: 30 }, (_, i) => `room-${i}`);
/**
 * Two or three clients per key on both gateways, in an uneven order: without keyed routing each gateway's
 * least-loaded pick would part them.
 */
const members = new Map<string, (TestClient & { clientId: string })[]>();
const all: TestClient[] = [];

interface Who {
  pid: number;
  worker: string;
  routeKey: string | null;
}

let nextId = 1_000_000;
/** Which worker handles this client's next event, as that worker says. */
async function whoResult(client: TestClient): Promise<Who> {
  const id = nextId++;
  client.send({ id, op: 'who' });
  return ((await client.next((m) => field(m, 'id') === id)) as { result: Who }).result;
}

/** For each key, the workers (by name) that its clients' events reached. */
async function placement(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  await Promise.all(
    KEYS.map(async (key) => {
      const seen = new Set<string>();
      for (const client of members.get(key)!) {
        // Twice per client: sticky, not a lucky first pick.
        for (let i = 0; i < 2; i++) {
          const w = await whoResult(client);
          assert.equal(w.routeKey, key, 'ctx.routeKey shows the key');
          seen.add(`${w.worker}/${w.pid}`);
        }
      }
      out.set(key, seen);
    }),
  );
  return out;
}

/** Each key on exactly one worker: returns key -> that worker. */
function oneEach(places: Map<string, Set<string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, seen] of places) {
    assert.equal(seen.size, 1, `clients of ${key} met one worker, not ${[...seen].join(', ')}`);
    out.set(key, [...seen][0]!);
  }
  return out;
}

describe('keyed routing', () => {
  before(async () => {
    await cluster.start();
    all.push(await TestClient.connect(cluster.wsUrl(1)));
    for (const [i, key] of KEYS.entries()) {
      const gateways = i % 2 === 0 ? [0, 1, 1] : [1, 0];
      const group = await Promise.all(gateways.map((g) => TestClient.connect(cluster.wsUrl(g))));
      all.push(...group);
      members.set(key, group);
      for (const client of group) {
        const reply = (await client.call('setRouteKey', '$self', key)) as null;
        assert.equal(reply, null);
      }
    }
  });

  after(async () => {
    for (const client of all) client.close();
    await killAll();
  });

  it('sends the events of all clients of one key, on any gateway, to one worker; keys spread over all three', async () => {
    const first = oneEach(await placement());
    const workers = new Set([...first.values()].map((w) => w.split('/')[0]));
    assert.deepEqual([...workers].sort(), ['w0', 'w1', 'w2']);
    // The handler that set the key saw it at once; a client without one is routed per client (null).
    const plain = await TestClient.connect(cluster.wsUrl(0));
    all.push(plain);
    assert.equal((await whoResult(plain)).routeKey, null);
  });

  it('after a worker is killed, its keys move to the others and the other keys stay where they were', async () => {
    const beforeKill = oneEach(await placement());
    const victim = cluster.workers[1]!;
    const victimPid = victim.proc.pid!;
    await victim.kill('SIGKILL');
    await Promise.all(cluster.gateways.map((g) => g.untilStats((s) => s.workers === 2)));
    const afterKill = oneEach(await placement());
    for (const [key, place] of afterKill) {
      assert.ok(!place.endsWith(`/${victimPid}`), `${key} left the killed worker`);
      const was = beforeKill.get(key)!;
      if (!was.startsWith('w1/')) assert.equal(place, was, `${key} was not on the killed worker: it stays`);
    }
    // The same worker name again: its keys come back to it, each on one worker.
    cluster.startWorker(1);
    await cluster.workerReady(cluster.workers[1]!);
    await Promise.all(cluster.gateways.map((g) => g.untilStats((s) => s.workers === 3)));
    const back = oneEach(await placement());
    for (const [key, place] of back) assert.equal(place.split('/')[0], beforeKill.get(key)!.split('/')[0], key);
  });

  it('keeps each client in order while its key moves on a reload (drain), and lands every key on one worker', async () => {
    // A key whose worker is the one replaced below.
    const places = oneEach(await placement());
    const key = KEYS.find((k) => places.get(k)!.startsWith('w2/'))!;
    const client = members.get(key)![0]!;
    const total = 200;
    for (let seq = 0; seq < total; seq++) client.send({ seq });
    let left: Promise<void> | null = null;
    let last: number | null = null;
    const handledBy = new Set<string>();
    for (let seq = 0; seq < total; seq++) {
      const reply = (await client.next((m) => field(m, 'seq') !== undefined, 15_000)) as Record<string, unknown>;
      assert.equal(reply.seq, seq, 'in order');
      assert.equal(reply.last, last, 'each handler saw the session the previous one wrote');
      assert.equal(reply.count, seq + 1);
      last = seq;
      handledBy.add(String(reply.worker));
      // Replace w2 while the messages are being handled: it drains (SIGTERM), a new w2 takes its place.
      if (seq === 20) {
        left = cluster.workers[2]!.kill('SIGTERM');
        cluster.startWorker(2);
      }
    }
    await left;
    await cluster.workerReady(cluster.workers[2]!);
    await Promise.all(cluster.gateways.map((g) => g.untilStats((s) => s.workers === 3)));
    const again = await until('every key on one worker again', placement, (p) =>
      [...p.values()].every((s) => s.size === 1),
    );
    const names = new Set([...oneEach(again).values()].map((w) => w.split('/')[0]));
    assert.deepEqual([...names].sort(), ['w0', 'w1', 'w2']);
    assert.ok(handledBy.has('w2'), "the messages before the reload ran on the key's worker");
  });
});
