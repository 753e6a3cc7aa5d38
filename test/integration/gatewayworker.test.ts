// PHP back ends push through GatewayWorker's protocol: a real PHP process (php-cli) speaking it as GatewayClient
// does, against a register with --gatewayworker-listen and two gateways with --gatewayworker-port.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { runPhp, type PhpCall } from '../helpers/php.ts';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.63';
const SECRET = 'php-secret';
const GW_REGISTER = `${HOST}:1238`;
const cluster = new Cluster({
  host: HOST,
  gateways: 2,
  workers: 1,
  secret: SECRET,
  events: `${FIXTURES}gatewayworker-app.ts`,
  registerArgs: ['--gatewayworker-listen', GW_REGISTER],
  gatewayArgs: ['--gatewayworker-port', '0'],
});
const clients: TestClient[] = [];

/** The results of the calls, each of which must have succeeded. */
async function ok(...calls: PhpCall[]): Promise<unknown[]> {
  const results = await runPhp(GW_REGISTER, SECRET, calls);
  return results.map((r, i) => {
    assert.equal(r.error, undefined, `${calls[i]![0]} failed: ${r.error}`);
    return r.ok;
  });
}

type Connected = TestClient & { clientId: string; gw: string };

async function connect(gateway: number): Promise<Connected> {
  const client = new TestClient(cluster.wsUrl(gateway));
  clients.push(client);
  await client.opened;
  const hello = (await client.next((m) => (m as { type?: string }).type === 'hello')) as {
    clientId: string;
    gatewayWorkerClientId: string;
  };
  return Object.assign(client, { clientId: hello.clientId, gw: hello.gatewayWorkerClientId });
}

const keys = (value: unknown) => Object.keys(value as object).sort();

describe("GatewayWorker's protocol, from PHP", () => {
  let a: Connected;
  let b: Connected;

  before(async () => {
    await cluster.start();
    a = await connect(0);
    b = await connect(1);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('gives every client a 20-digit GatewayWorker id naming its gateway, and PHP the gateways from the register', async () => {
    assert.match(a.gw, /^[0-9a-f]{20}$/);
    assert.match(b.gw, /^[0-9a-f]{20}$/);
    const [gateways] = (await ok(['gateways'])) as [string[]];
    assert.equal(gateways.length, 2);
    const [aAddress] = (await ok(['fromClientId', a.gw])) as [[string, number]];
    const [bAddress] = (await ok(['fromClientId', b.gw])) as [[string, number]];
    assert.deepEqual([aAddress[0], bAddress[0]].sort(), [...gateways].sort());
    assert.ok(aAddress[0].startsWith(`${HOST}:`));
  });

  it('binds, joins and answers the queries as GatewayWorker does', async () => {
    await ok(
      ['bindUid', a.gw, 'alice'],
      ['joinGroup', a.gw, 'room'],
      ['joinGroup', b.gw, 'room'],
      ['bindUid', b.gw, 42],
    );
    // The Gateway API of a Switchboard worker sees what PHP did.
    assert.deepEqual(await a.call('getClientIdByUid', 'alice'), [a.clientId]);
    assert.equal(await a.call('getClientIdCountByGroup', 'room'), 2);
    const [
      uidOnline,
      uidOffline,
      byUid,
      uidOf,
      online,
      offline,
      all,
      inRoom,
      roomList,
      allList,
      uids,
      uidCount,
      roomUids,
      roomUidCount,
      groups,
      batch,
      batchCounts,
      groupUids,
    ] = await ok(
      ['isUidOnline', 'alice'],
      ['isUidOnline', 'nobody'],
      ['getClientIdByUid', 'alice'],
      ['getUidByClientId', b.gw],
      ['isOnline', a.gw],
      ['isOnline', `${a.gw.slice(0, 12)}7fffffff`],
      ['getAllClientIdCount'],
      ['getClientIdCountByGroup', 'room'],
      ['getClientIdListByGroup', 'room'],
      ['getAllClientIdList'],
      ['getAllUidList'],
      ['getAllUidCount'],
      ['getUidListByGroup', 'room'],
      ['getUidCountByGroup', 'room'],
      ['getAllGroupIdList'],
      ['batchGetClientIdByUid', ['alice', '42', 'nobody']],
      ['batchGetClientCountByGroup', ['room', 'empty']],
      ['getAllGroupUidList'],
    );
    assert.equal(uidOnline, 1);
    assert.equal(uidOffline, 0);
    assert.deepEqual(byUid, [a.gw]);
    assert.equal(uidOf, '42');
    assert.equal(online, 1);
    assert.equal(offline, 0);
    assert.equal(all, 2);
    assert.equal(inRoom, 2);
    assert.deepEqual(keys(roomList), [a.gw, b.gw].sort());
    assert.deepEqual(keys(allList), [a.gw, b.gw].sort());
    // Switchboard's uids are strings: PHP's 42 comes back as '42' (PHP keys the map by the integer 42 as usual).
    assert.deepEqual(uids, { alice: 'alice', 42: '42' });
    assert.equal(uidCount, 2);
    assert.deepEqual(keys(roomUids), ['42', 'alice']);
    assert.equal(roomUidCount, 2);
    assert.deepEqual(groups, { room: 'room' });
    assert.deepEqual(batch, { alice: [a.gw], 42: [b.gw] });
    assert.deepEqual(batchCounts, { room: 2, empty: 0 });
    assert.deepEqual(keys((groupUids as Record<string, unknown>).room), ['42', 'alice']);
  });

  it('pushes to uids, groups, everyone and one client, with exclusions', async () => {
    const message = (text: string) => (m: unknown) => m === text;
    await ok(['sendToUid', 'alice', 'to-alice']);
    await a.next(message('to-alice'));
    await ok(['sendToUid', ['alice', 42], 'to-both']);
    await Promise.all([a.next(message('to-both')), b.next(message('to-both'))]);
    await ok(['sendToGroup', 'room', 'room-but-b', [b.gw]]);
    await a.next(message('room-but-b'));
    await ok(['sendToAll', 'everyone']);
    await Promise.all([a.next(message('everyone')), b.next(message('everyone'))]);
    await ok(['sendToAll', 'only-b', [a.gw, b.gw], [a.gw]]);
    await b.next(message('only-b'));
    await ok(['sendToAll', 'all-but-a', null, [a.gw]]);
    await b.next(message('all-but-a'));
    await ok(['sendToClient', b.gw, 'direct'], ['sendToClient', b.gw, { hex: 'ff00fe' }]);
    await b.next(message('direct'));
    const binary = (await b.next((m) => Buffer.isBuffer(m))) as Buffer;
    assert.deepEqual([...binary], [0xff, 0x00, 0xfe]);
    await a.nothing((m) => m === 'room-but-b' || m === 'only-b' || m === 'all-but-a' || m === 'direct', 300);
    await b.nothing((m) => m === 'room-but-b', 1);
  });

  it('shares sessions with the Switchboard workers, both ways', async () => {
    await ok(['setSession', a.gw, { name: 'alice', n: 1, tags: ['x', 'y'] }]);
    assert.deepEqual(await a.call('getSession', '$self'), { name: 'alice', n: 1, tags: ['x', 'y'] });
    await ok(['updateSession', a.gw, { n: 2 }]);
    await b.call('setSession', '$self', { from: 'ts', nested: { ok: true }, list: [1, 2.5] });
    const [sessionA, sessionB, gone, sessions, roomSessions] = await ok(
      ['getSession', a.gw],
      ['getSession', b.gw],
      ['getSession', `${a.gw.slice(0, 12)}7fffffff`],
      ['getAllClientSessions'],
      ['getClientSessionsByGroup', 'room'],
    );
    assert.deepEqual(sessionA, { name: 'alice', n: 2, tags: ['x', 'y'] });
    assert.deepEqual(sessionB, { from: 'ts', nested: { ok: true }, list: [1, 2.5] });
    assert.equal(gone, null);
    assert.deepEqual((sessions as Record<string, unknown>)[a.gw], sessionA);
    assert.deepEqual((roomSessions as Record<string, unknown>)[b.gw], sessionB);
  });

  it('unbinds, leaves and ungroups', async () => {
    await ok(['unbindUid', a.gw, 'alice'], ['leaveGroup', b.gw, 'room']);
    assert.deepEqual(await ok(['isUidOnline', 'alice'], ['getClientIdCountByGroup', 'room']), [0, 1]);
    assert.deepEqual(await b.call('getClientIdByUid', 'alice'), []);
    await ok(['ungroup', 'room']);
    await until(
      'no group left',
      async () => (await b.call('getAllGroupIdList')) as string[],
      (g) => g.length === 0,
    );
    assert.deepEqual(await ok(['getAllGroupIdList']), [[]]);
  });

  it('closes a client with a last message, and destroys one', async () => {
    await ok(['closeClient', a.gw, 'bye']);
    await a.next((m) => m === 'bye');
    assert.equal(await a.closed, 1000);
    await ok(['destroyClient', b.gw]);
    assert.equal(await b.closed, 1006);
    assert.deepEqual(await ok(['getAllClientIdCount']), [0]);
  });
});

describe('start --gatewayworker-listen', () => {
  const host = '127.0.0.66';
  const controlDir = mkdtempSync(join(tmpdir(), 'switchboard-gatewayworker-'));
  let start: RoleProcess;

  before(async () => {
    start = new RoleProcess('start', [
      ...['start', '--listen', `${host}:7272`, '--register-listen', `${host}:1236`, '--lan-ip', host],
      ...['--gateways', '2', '--events', `${FIXTURES}gatewayworker-app.ts`, '--secret', SECRET],
      ...['--gatewayworker-listen', `${host}:1238`, '--control', join(controlDir, 'control.sock')],
    ]);
    await start.waitFor('switchboard started', 30_000);
  });

  after(async () => {
    for (const client of clients) client.close();
    await start.kill('SIGTERM');
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('turns on the register and both gateways, gateway i on port + 1 + i', async () => {
    const client = new TestClient(`ws://${host}:7272/`);
    clients.push(client);
    await client.opened;
    const { gatewayWorkerClientId } = (await client.next((m) => (m as { type?: string }).type === 'hello')) as {
      gatewayWorkerClientId: string;
    };
    const [gateways, count, sent] = await runPhp(`${host}:1238`, SECRET, [
      ['gateways'],
      ['getAllClientIdCount'],
      ['sendToClient', gatewayWorkerClientId, 'from-php'],
    ]);
    assert.deepEqual((gateways!.ok as string[]).sort(), [`${host}:1239`, `${host}:1240`]);
    assert.deepEqual(count, { ok: 1 });
    assert.deepEqual(sent, { ok: true });
    await client.next((m) => m === 'from-php');
  });
});
