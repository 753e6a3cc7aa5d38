// The whole Gateway API across 2 gateways and 2 business workers, each a real process, driven by real
// `ws` clients through the test app (test/fixtures/api-app.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeClientId } from '../../shared/client-id.ts';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const cluster = new Cluster({ host: '127.0.0.21', gateways: 2, workers: 2 });
const clients: TestClient[] = [];
const connect = async (gateway: number, path = '/') => {
  const client = await TestClient.connect(cluster.wsUrl(gateway, path));
  clients.push(client);
  return client;
};
const is = (value: unknown) => (data: unknown) => JSON.stringify(data) === JSON.stringify(value);
const sorted = (list: unknown) => [...(list as string[])].sort();

type Client = Awaited<ReturnType<typeof connect>>;
let a1: Client; // uid u-a, gateway 0
let a2: Client; // uid u-a, gateway 1 (the same user's second device)
let b: Client; // uid u-b, gateway 1
let c: Client; // no uid, gateway 0

describe('Gateway API across two gateways and two workers', () => {
  before(async () => {
    await cluster.start();
    a1 = await connect(0, '/chat?token=t1');
    a2 = await connect(1);
    b = await connect(1);
    c = await connect(0);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('gives each client an id that encodes its own gateway, and passes the request on connect', async () => {
    assert.deepEqual(decodeClientId(a1.clientId), { host: '127.0.0.21', port: 2900 });
    assert.deepEqual(decodeClientId(b.clientId), { host: '127.0.0.21', port: 2901 });
    assert.equal(new Set([a1, a2, b, c].map((x) => x.clientId)).size, 4);
    const ctx = (await a1.call('getSession', '$self')) as Record<string, unknown>;
    assert.equal(ctx.connectedVia, '127.0.0.21:2900');
  });

  it('binds uids and sends to every device of a uid, across gateways', async () => {
    await a1.call('bindUid', '$self', 'u-a');
    await a2.call('bindUid', '$self', 'u-a');
    await b.call('bindUid', '$self', 'u-b');
    await c.call('sendToUid', 'u-a', 'hello-a');
    await a1.next(is('hello-a'));
    await a2.next(is('hello-a'));
    await c.call('sendToUid', ['u-a', 'u-b'], { to: 'many' });
    for (const x of [a1, a2, b]) await x.next(is({ to: 'many' }));
    await b.nothing(is('hello-a'));
    await c.nothing(is({ to: 'many' }), 0);
  });

  it('sends to one client on the other gateway', async () => {
    await c.call('sendToClient', b.clientId, 'direct');
    await b.next(is('direct'));
    await a2.nothing(is('direct'), 100);
  });

  it('sends to groups, once per client, honouring exclude', async () => {
    await a1.call('joinGroup', '$self', 'g1');
    await b.call('joinGroup', '$self', 'g1');
    await c.call('joinGroup', '$self', 'g2');
    await b.call('joinGroup', '$self', 'g2');
    await c.call('sendToGroup', 'g1', 'to-g1', [b.clientId]);
    await a1.next(is('to-g1'));
    await c.call('sendToGroup', ['g1', 'g2'], 'multi');
    for (const x of [a1, b, c]) await x.next(is('multi'));
    await Promise.all([a1, b, c].map((x) => x.nothing(is('multi'), 200)));
    await b.nothing(is('to-g1'), 0);
    await a2.nothing((d) => d === 'multi' || d === 'to-g1', 0);
  });

  it('sends to all, to a list of client ids, to nobody with [], and excludes', async () => {
    await c.call('sendToAll', 'all-1');
    for (const x of [a1, a2, b, c]) await x.next(is('all-1'));
    await c.call('sendToAll', 'all-2', [a1.clientId, b.clientId]);
    await a1.next(is('all-2'));
    await b.next(is('all-2'));
    await c.call('sendToAll', 'all-3', []);
    await c.call('sendToAll', 'all-4', null, [c.clientId, a2.clientId]);
    await a1.next(is('all-4'));
    await b.next(is('all-4'));
    await Promise.all([a2, c].map((x) => x.nothing((d) => d === 'all-2' || d === 'all-4', 200)));
    await Promise.all([a1, a2, b, c].map((x) => x.nothing(is('all-3'), 0)));
  });

  it('answers every query with both gateways counted', async () => {
    const all = [a1, a2, b, c].map((x) => x.clientId).sort();
    assert.equal(await c.call('getAllClientIdCount'), 4);
    assert.deepEqual(sorted(await c.call('getAllClientIdList')), all);
    assert.deepEqual(sorted(await c.call('getClientIdByUid', 'u-a')), [a1.clientId, a2.clientId].sort());
    assert.equal(await c.call('isUidOnline', 'u-a'), true);
    assert.equal(await c.call('isUidOnline', 'nobody'), false);
    assert.equal(await c.call('getUidByClientId', a2.clientId), 'u-a');
    assert.equal(await c.call('getUidByClientId', c.clientId), null);
    assert.equal(await c.call('isOnline', b.clientId), true);
    assert.equal(await c.call('getClientIdCountByGroup', 'g1'), 2);
    assert.deepEqual(sorted(await c.call('getClientIdListByGroup', 'g1')), [a1.clientId, b.clientId].sort());
    assert.deepEqual(sorted(await c.call('getUidListByGroup', 'g1')), ['u-a', 'u-b']);
    assert.equal(await c.call('getUidCountByGroup', 'g1'), 2);
    assert.deepEqual(sorted(await c.call('getAllUidList')), ['u-a', 'u-b']);
    assert.equal(await c.call('getAllUidCount'), 2);
    assert.deepEqual(sorted(await c.call('getAllGroupIdList')), ['g1', 'g2']);
    const groupUids = (await c.call('getAllGroupUidList')) as Record<string, string[]>;
    assert.deepEqual({ g1: sorted(groupUids.g1), g2: sorted(groupUids.g2) }, { g1: ['u-a', 'u-b'], g2: ['u-b'] });
    assert.deepEqual(await c.call('getAllGroupUidCount'), { g1: 2, g2: 1 });
    const groupClients = (await c.call('getAllGroupClientIdList')) as Record<string, string[]>;
    assert.deepEqual(sorted(groupClients.g2), [b.clientId, c.clientId].sort());
    assert.deepEqual(await c.call('getAllGroupClientIdCount'), { g1: 2, g2: 2 });
    assert.deepEqual(await c.call('isUidsOnline', ['u-a', 'x']), { 'u-a': true, x: false });
    const byUid = (await c.call('batchGetClientIdByUid', ['u-a', 'u-b', 'x'])) as Record<string, string[]>;
    assert.deepEqual(sorted(byUid['u-a']), [a1.clientId, a2.clientId].sort());
    assert.deepEqual(byUid['u-b'], [b.clientId]);
    assert.equal(byUid.x, undefined);
    assert.deepEqual(await c.call('batchGetClientIdCountByGroup', ['g1', 'g2', 'g3']), { g1: 2, g2: 2, g3: 0 });
    assert.deepEqual(Object.keys((await c.call('getAllClientSessions')) as object).sort(), all);
    assert.deepEqual(
      Object.keys((await c.call('getClientSessionsByGroup', 'g1')) as object).sort(),
      [a1.clientId, b.clientId].sort(),
    );
  });

  it('sets, merges and reads sessions, also from the other gateway, and keeps ctx in step', async () => {
    await a1.call('setSession', '$self', { x: 1 });
    assert.deepEqual(await c.call('getSession', a1.clientId), { x: 1 });
    await c.call('updateSession', a1.clientId, { y: 2 });
    assert.deepEqual(await b.call('getSession', a1.clientId), { x: 1, y: 2 });
    a1.send({ op: 'ctx', id: 'ctx' });
    const seen = (await a1.next((m) => field(m, 'id') === 'ctx')) as { result: Record<string, unknown> };
    assert.deepEqual(seen.result, { uid: 'u-a', session: { x: 1, y: 2 }, clientId: a1.clientId });
  });

  it('unbinds, leaves and ungroups', async () => {
    await a2.call('unbindUid', '$self', 'u-a');
    assert.deepEqual(await c.call('getClientIdByUid', 'u-a'), [a1.clientId]);
    await b.call('leaveGroup', '$self', 'g1');
    assert.deepEqual(await c.call('getClientIdListByGroup', 'g1'), [a1.clientId]);
    await c.call('ungroup', 'g2');
    assert.deepEqual(await c.call('getAllGroupIdList'), ['g1']);
    await c.call('sendToGroup', 'g2', 'after-ungroup');
    await Promise.all([b, c].map((x) => x.nothing(is('after-ungroup'), 200)));
  });

  it('handles pipelined messages of one client in order, with each session change visible to the next', async () => {
    const d = await connect(1);
    const n = 200;
    for (let seq = 0; seq < n; seq++) d.send({ seq });
    for (let seq = 0; seq < n; seq++) {
      const reply = (await d.next((m) => field(m, 'seq') !== undefined)) as Record<string, unknown>;
      assert.deepEqual(
        { seq: reply.seq, count: reply.count, last: reply.last },
        {
          seq,
          count: seq + 1,
          last: seq === 0 ? null : seq - 1,
        },
      );
    }
  });

  it('spreads clients over both workers and runs different clients concurrently', async () => {
    const more = await Promise.all([0, 1, 0, 1].map((g) => connect(g)));
    const pids = new Set<unknown>();
    for (const x of more) {
      x.send({ seq: 0 });
      pids.add(((await x.next((m) => field(m, 'seq') === 0)) as { worker: unknown }).worker);
    }
    assert.equal(pids.size, 2, 'both workers took clients');
  });

  it('passes binary frames through as Buffers', async () => {
    c.send(Buffer.from([1, 2, 3]));
    await c.next((d) => Buffer.isBuffer(d) && d.equals(Buffer.from('echo:\x01\x02\x03', 'latin1')));
  });

  it('keeps the current client after await and in timers', async () => {
    a1.send({ op: 'later', ms: 30 });
    await a1.next(is({ later: true, uid: 'u-a' }));
  });

  it('logs a throwing handler with the client id and goes on', async () => {
    c.send({ op: 'throw' });
    // The error line names the client and the event (its fields, not its wording).
    const failed = await Promise.race(
      cluster.workers.map((w) =>
        w.waitForLine(
          `about ${c.clientId}'s message handler`,
          (l) => l.level === 'error' && l.client === c.clientId && l.event === 'message',
          5000,
        ),
      ),
    );
    assert.match(String(failed.error), /on purpose/);
    assert.equal(await c.call('isOnline', '$self'), true);
  });

  it('refuses bad arguments with a coded error', async () => {
    await assert.rejects(c.call('bindUid', '$self', { not: 'a uid' }), { code: 'SB_ERR_INVALID_ARGUMENT' });
    await assert.rejects(c.call('sendToClient', 'not-a-client-id', 'x'), { code: 'SB_ERR_INVALID_ARGUMENT' });
    await assert.rejects(c.call('setSession', '$self', 'not an object'), { code: 'SB_ERR_INVALID_ARGUMENT' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { v: deep };
    await assert.rejects(c.call('setSession', '$self', deep), { code: 'SB_ERR_INVALID_ARGUMENT' });
  });

  it('closes clients: with a last message, at once, and the current one', async () => {
    const e = await connect(1);
    await c.call('closeClient', e.clientId, 'bye');
    await e.next(is('bye'));
    assert.equal(await e.closed, 1000);
    const f = await connect(1);
    await c.call('destroyClient', f.clientId);
    assert.equal(await f.closed, 1006);
    const g = await connect(0);
    g.send({ id: 1, call: 'closeCurrentClient', args: ['last'] });
    await g.next(is('last'));
    assert.equal(await g.closed, 1000);
    assert.equal(await c.call('isOnline', e.clientId), false);
    assert.equal(await c.call('getSession', e.clientId), null);
  });

  it('runs onClose with the session and uid still readable', async () => {
    const h = await connect(0);
    await h.call('bindUid', '$self', 'u-h');
    await h.call('setSession', '$self', { notifyOnClose: 'u-b' });
    h.close();
    const note = (await b.next((m) => field(m, 'closed') === h.clientId)) as Record<string, unknown>;
    assert.deepEqual(note, { closed: h.clientId, uid: 'u-h', session: { notifyOnClose: 'u-b' } });
    assert.equal(await c.call('isUidOnline', 'u-h'), false);
  });
});
