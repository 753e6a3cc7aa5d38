import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { GatewayDirectory, type DirectoryOptions } from '../../gateway-api/gateway-directory.ts';
import type { Routing } from '../../gateway-api/gateway-api-options.ts';
import { Cmd, type Message } from '../../shared/commands.ts';
import type { LinkOptions } from '../../shared/link.ts';
import { createLogger } from '../../shared/logger.ts';
import { Query } from '../../shared/queries.ts';
import { fakeConnect, type FakeLink } from '../helpers/fake-links.ts';

const G1 = '10.0.1.1:1238';
const G2 = '10.0.1.2:1238';

function directory(routing: Routing = 'directory', more: Partial<DirectoryOptions> = {}) {
  const { connect, made } = fakeConnect();
  const closed: string[] = [];
  const dir = new GatewayDirectory({
    registers: [{ host: '10.0.0.1', port: 1236 }],
    // Only the logger is read when links are made by `connect`.
    link: { log: createLogger({}, 'silent') } as LinkOptions,
    role: 'client',
    name: 'test',
    queryTimeout: 1000,
    routing,
    connect,
    onGatewayClose: (gateway) => closed.push(gateway),
    ...more,
  });
  const register = made.get('register 10.0.0.1:1236')!;
  register.open();
  const gateway = (address: string) => made.get(`gateway ${address}`)!;
  return { dir, register, gateway, closed };
}

/** The id of the last Query sent on `link`. */
function lastQueryId(link: FakeLink): number {
  const msg = link.sent.filter((m) => m.cmd === Cmd.Query).at(-1);
  assert.ok(msg && msg.cmd === Cmd.Query);
  return msg.id;
}

const result = (id: number, value: unknown): Message => ({ cmd: Cmd.QueryResult, id, value });

describe('GatewayDirectory', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('is ready once a register answered and every gateway it lists was tried, one of them linked', async () => {
    const { dir, register, gateway } = directory();
    let ready = false;
    const waiting = dir.whenReady(5000).then(() => (ready = true));
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    assert.deepEqual(dir.addresses, [G1, G2]);
    gateway(G1).open();
    assert.equal(dir.isReady, false);
    gateway(G2).fail();
    assert.equal(dir.isReady, true);
    await waiting;
    assert.ok(ready);
    assert.ok(dir.link(G1));
    assert.equal(dir.link(G2), null);
  });

  it('says which is missing when no gateway is known: no register answer, or an empty list', async () => {
    const { dir, register } = directory();
    assert.throws(() => dir.requireGateways('sendToUid'), { code: 'SB_ERR_NO_GATEWAY' });
    const waiting = dir.whenReady(100);
    mock.timers.tick(100);
    await assert.rejects(waiting, { code: 'SB_ERR_NO_GATEWAY' });
    register.deliver({ cmd: Cmd.GatewayList, addresses: [] });
    assert.throws(() => dir.requireGateways('sendToUid'), { code: 'SB_ERR_NO_GATEWAY' });
  });

  it("settles a query only with its own gateway's answer", async () => {
    const { dir, register, gateway } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    const one = gateway(G1).open();
    gateway(G2).open();
    const asked = dir.query(G1, Query.ClientCount, { group: null });
    const id = lastQueryId(one);
    assert.deepEqual(one.sent.at(-1), { cmd: Cmd.Query, id, q: 'clientCount', args: { group: null } });
    let settled = false;
    void asked.then(() => (settled = true));
    gateway(G2).deliver(result(id, 99));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    gateway(G1).deliver(result(id, 4));
    assert.equal(await asked, 4);
  });

  it("rejects an answer that does not fit the query's result shape", async () => {
    const { dir, register, gateway } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1] });
    const link = gateway(G1).open();
    const asked = dir.query(G1, Query.ClientIds, { group: null });
    gateway(G1).deliver(result(lastQueryId(link), [1, 2]));
    await assert.rejects(asked, { code: 'SB_ERR_QUERY_FAILED' });
  });

  it('rejects an aggregate query at once when a known gateway is not linked', async () => {
    const { dir, register, gateway } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    gateway(G1).open();
    await assert.rejects(dir.queryAll(Query.GroupIds, {}), { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
  });

  it('fails the queries of a gateway whose link breaks, and keeps it while a register lists it', async () => {
    const { dir, register, gateway, closed } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1] });
    gateway(G1).open();
    const asked = dir.query(G1, Query.GroupIds, {});
    gateway(G1).close();
    await assert.rejects(asked, { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
    assert.deepEqual(closed, [G1]);
    assert.deepEqual(dir.addresses, [G1]);
    assert.equal(gateway(G1).stopped, false);
  });

  it('probes a linked gateway a register stops listing, and forgets it once our link is down too', () => {
    const { dir, register, gateway } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1] });
    const link = gateway(G1).open();
    register.deliver({ cmd: Cmd.GatewayLeft, address: G1 });
    assert.equal(link.probes, 1);
    assert.deepEqual(dir.addresses, [G1]);
    gateway(G1).close();
    assert.deepEqual(dir.addresses, []);
    assert.equal(gateway(G1).stopped, true);
  });

  it('with directory routing subscribes on each new link and sends a uid send only where the uid is', () => {
    const { dir, register, gateway } = directory('directory');
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    const one = gateway(G1).open();
    const two = gateway(G2).open();
    assert.deepEqual(one.sent, [{ cmd: Cmd.MembershipSubscribe }]);
    for (const [g, uids] of [
      [G1, ['u1']],
      [G2, ['u2']],
    ] as const) {
      gateway(g).deliver({ cmd: Cmd.MembershipUpdate, uids: [...uids], uidsGone: [], groups: [], groupsGone: [] });
      gateway(g).deliver({ cmd: Cmd.MembershipSynced });
    }
    dir.sendToTargets({ cmd: Cmd.SendToUids, uids: ['u2'], data: 'hi' });
    assert.equal(one.sent.length, 1);
    assert.deepEqual(two.sent.at(-1), { cmd: Cmd.SendToUids, uids: ['u2'], data: 'hi' });
  });

  it('with all routing sends a uid send to every linked gateway', () => {
    const { dir, register, gateway } = directory('all');
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    const one = gateway(G1).open();
    const two = gateway(G2).open();
    dir.sendToTargets({ cmd: Cmd.SendToUids, uids: ['u2'], data: 'hi' });
    assert.equal(one.sent.length, 1);
    assert.equal(two.sent.length, 1);
  });

  it('hands client events to onEvent, and refuses them with SB_ERR_BAD_FRAME where nobody takes them', () => {
    const events: string[] = [];
    const worker = directory('all', { onEvent: (msg, _link, gateway) => events.push(`${msg.cmd} ${gateway}`) });
    worker.register.deliver({ cmd: Cmd.GatewayList, addresses: [G1] });
    worker.gateway(G1).open();
    const event: Message = { cmd: Cmd.EvClose, client: 'c', uid: null, session: {} };
    worker.gateway(G1).deliver(event);
    assert.deepEqual(events, [`${Cmd.EvClose} ${G1}`]);
    const client = directory('all');
    client.register.deliver({ cmd: Cmd.GatewayList, addresses: [G1] });
    client.gateway(G1).open();
    assert.throws(() => client.gateway(G1).deliver(event), { code: 'SB_ERR_BAD_FRAME' });
  });

  it('on stop closes every link and fails what still waits', async () => {
    const { dir, register, gateway } = directory();
    register.deliver({ cmd: Cmd.GatewayList, addresses: [G1, G2] });
    gateway(G1).open();
    const asked = dir.query(G1, Query.GroupIds, {});
    const waiting = dir.whenReady(5000);
    await dir.stop();
    await assert.rejects(asked, { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
    await assert.rejects(waiting, { code: 'SB_ERR_NO_GATEWAY' });
    assert.ok(register.stopped && gateway(G1).stopped && gateway(G2).stopped);
    assert.deepEqual(dir.addresses, []);
  });
});
