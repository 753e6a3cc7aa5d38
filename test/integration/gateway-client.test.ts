// GatewayClient: pushing and querying from a program that is not a business worker, in its own process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../gateway-api/gateway-client.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { FIXTURES, killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.27';
const cluster = new Cluster({ host: HOST, gateways: 2, workers: 1, secret: 'client-secret' });
const clients: TestClient[] = [];
const quiet = createLogger({}, 'silent');
const is = (value: unknown) => (data: unknown) => data === value;

/** Runs the push script in its own process; resolves with its output once it exits by itself. */
function runScript(
  args: Record<string, string>,
): Promise<{ code: number | null; out: Record<string, unknown>; err: string }> {
  const proc = spawn(
    process.execPath,
    ['--conditions=switchboard-source', '--import', 'tsx', `${FIXTURES}push-script.ts`, JSON.stringify(args)],
    {
      env: { ...process.env, SWITCHBOARD_SECRET: 'client-secret' },
    },
  );
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out: stdout ? JSON.parse(stdout) : {}, err: stderr });
    }),
  );
}

describe('GatewayClient', () => {
  type Connected = Awaited<ReturnType<typeof TestClient.connect>>;
  let a: Connected;
  let b: Connected;
  let c: Connected;

  before(async () => {
    await cluster.start();
    a = await TestClient.connect(cluster.wsUrl(0));
    b = await TestClient.connect(cluster.wsUrl(1));
    c = await TestClient.connect(cluster.wsUrl(1));
    clients.push(a, b, c);
    await a.call('bindUid', '$self', 'u1');
    await b.call('bindUid', '$self', 'u1');
    await a.call('joinGroup', '$self', 'g');
    await c.call('joinGroup', '$self', 'g');
    await a.call('setSession', '$self', { name: 'a' });
  });

  after(async () => {
    for (const x of clients) x.close();
    await killAll();
  });

  it('pushes to uids, groups and client ids on two gateways and runs every query, from another process', async () => {
    const { code, out, err } = await runScript({
      register: cluster.registerAddress,
      a: a.clientId,
      b: b.clientId,
      c: c.clientId,
    });
    assert.equal(code, 0, `the script exits on its own after close(): ${err}`);
    await a.next(is('push-uid'));
    await b.next(is('push-uid'));
    await c.next(is('push-group'));
    await c.next(is('push-client'));
    await a.next(is('push-all'));
    await c.next(is('push-all'));
    await a.next(is('counted'));
    await b.next(is('counted'));
    await Promise.all([a.nothing(is('push-group'), 100), b.nothing(is('push-all'), 0), c.nothing(is('push-uid'), 0)]);
    const all = [a, b, c].map((x) => x.clientId).sort();
    assert.deepEqual(out, {
      getAllClientIdCount: 3,
      getAllClientIdList: all,
      getClientIdByUid: [a.clientId, b.clientId].sort(),
      isUidOnline: true,
      isOnline: true,
      getUidByClientId: 'u1',
      getSession: { name: 'a' },
      getAllClientSessions: 3,
      getClientIdCountByGroup: 2,
      getClientIdListByGroup: [a.clientId, c.clientId].sort(),
      getClientSessionsByGroup: 2,
      getAllUidList: ['u1'],
      getAllUidCount: 1,
      getUidListByGroup: ['u1'],
      getUidCountByGroup: 1,
      getAllGroupIdList: ['g'],
      getAllGroupUidList: { g: ['u1'] },
      getAllGroupUidCount: { g: 1 },
      getAllGroupClientIdCount: { g: 2 },
      isUidsOnline: { u1: true, nobody: false },
      batchGetClientIdCountByGroup: { g: 2, h: 0 },
      deliveredToU1: 2,
      deliveredToNobody: 0,
      afterBind: [c.clientId],
      sessionAfterUpdate: { connectedVia: `${HOST}:2901`, via: 'client' },
    });
  });

  it('keeps working with the gateways it knows while the register is down', async () => {
    const client = new GatewayClient({ register: cluster.registerAddress, secret: 'client-secret', log: quiet });
    try {
      await client.ready();
      await cluster.register.kill('SIGKILL');
      client.sendToUid('u1', 'register-down');
      await a.next(is('register-down'));
      await b.next(is('register-down'));
      assert.equal(await client.getAllClientIdCount(), 3);
    } finally {
      await client.close();
    }
    cluster.startRegister();
    await cluster.register.ready();
  });

  it('rejects with SB_ERR_NO_GATEWAY saying what is missing when no gateway is known', async () => {
    const nowhere = new GatewayClient({ register: `${HOST}:1299`, secret: 'x', connectTimeout: 300, log: quiet });
    try {
      await assert.rejects(nowhere.getAllUidCount(), {
        code: 'SB_ERR_NO_GATEWAY',
        message: /no register .* has answered/,
      });
      await assert.rejects(nowhere.ready(), { code: 'SB_ERR_NO_GATEWAY' });
    } finally {
      await nowhere.close();
    }
  });
});
