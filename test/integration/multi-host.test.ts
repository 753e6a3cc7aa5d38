// Switchboard across hosts. Each host is a Linux network namespace on a bridge (10.77.0.0/24, fd77::/64):
//
//   A .51 register r1      B .52 gateways g1 (IPv6, binds ::) and later g3      C .53 gateway g2 (binds 0.0.0.0)
//   D .54 workers w1, w2   E .55 clients                                         F .56 register r2
//
// and the tests pull hosts' cables (link down: no FIN, no RST) and plug them back in. Where namespaces cannot be
// made (not root, no iproute2), the same scenarios run on 127.0.0.51-56 with a cut-off simulated by freezing
// the host's processes (SIGSTOP): peers see the same silence, though the frozen kernel still ACKs what it is
// sent. Every role is a real `switchboard` process; clients are real `ws` clients running on host E.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { formatHostPort } from '../../shared/address.ts';
import { gatewayOf } from '../../shared/client-id.ts';
import { ClientHost, type RemoteClient } from '../helpers/client-host.ts';
import { FIXTURES, killAll, type LogLine, type RoleProcess } from '../helpers/processes.ts';
import { namespaceSupport } from '../helpers/network-namespaces.ts';
import { createLab, type TestHost, type TestLab } from '../helpers/test-hosts.ts';

const HEARTBEAT = 500; // internal links: a silent peer is dropped within 3-4 of these
const PING = 500; // gateway -> client heartbeat
const CLIENT_DEAD_AFTER = 4 * PING; // a client gives up on a gateway that has been silent this long
const QUERY_TIMEOUT = 3000;
const env = { SWITCHBOARD_SECRET: 'multi-host-secret' };

/** Why this machine cannot make network namespaces, or null when it can. */
const fallbackReason = namespaceSupport();
if (fallbackReason) {
  console.warn(
    `\n*** multi-host tests: NO network namespaces here (${fallbackReason}).\n` +
      '*** Running the same scenarios on 127.0.0.51-56 instead; host cut-offs are simulated with SIGSTOP.\n',
  );
}
let lab: TestLab;
let clientHost: ClientHost;
const clients: RemoteClient[] = [];
let registerList = '';
const registers: Record<'r1' | 'r2', RoleProcess> = {} as never;
const gateways: Record<string, { proc: RoleProcess; inner: string; url: string }> = {};
const workers: RoleProcess[] = [];
let x: RemoteClient; // on g1, uid x
let y: RemoteClient; // on g2, uid y; later y2 (g1) and y3 (g2)

const host = (name: string): TestHost => lab.host(name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const urlHost = (ip: string) => formatHostPort({ host: ip, port: 0 }).slice(0, -2);
const is = (value: unknown) => (data: unknown) => JSON.stringify(data) === JSON.stringify(value);

/** Resolves with the first line containing `text` logged after `mark` (an index into `proc.lines`). */
function logAfter(proc: RoleProcess, mark: number, text: string, timeoutMs = 20_000): Promise<LogLine> {
  return proc.waitFor(text, timeoutMs, (l) => proc.lines.indexOf(l) >= mark);
}
const marks = (procs: RoleProcess[]) => new Map(procs.map((p) => [p, p.lines.length]));
/** Ms from `t0` to the time a line was logged. */
const since = (t0: number, line: LogLine) => Date.parse(String(line.time)) - t0;

function startRegister(name: 'r1' | 'r2', on: string): RoleProcess {
  const proc = host(on).run(
    name,
    ['register', '--listen', `${host(on).ipv4}:1236`, '--heartbeat-interval', String(HEARTBEAT)],
    env,
  );
  registers[name] = proc;
  return proc;
}

/** Starts a gateway and learns its advertised inner address from its log. */
async function startGateway(name: string, on: string, flags: string[], wsHost: string, wsPort: number) {
  const proc = host(on).run(
    name,
    [
      'gateway',
      '--register',
      registerList,
      '--heartbeat-interval',
      String(HEARTBEAT),
      '--ping-interval',
      String(PING),
      '--ping-not-response-limit',
      '2',
      ...flags,
    ],
    env,
  );
  const line = await proc.waitFor('gateway listening', 15_000);
  const listen = String(line.listen);
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  gateways[name] = { proc, inner: String(line.inner), url: `ws://${urlHost(wsHost)}:${port || wsPort}` };
  return gateways[name]!;
}

function startWorker(name: string, registerFlag = registerList): RoleProcess {
  return host('d').run(
    name,
    [
      'business',
      '--events',
      `${FIXTURES}api-app.ts`,
      '--register',
      registerFlag,
      '--name',
      name,
      '--heartbeat-interval',
      String(HEARTBEAT),
      '--query-timeout',
      String(QUERY_TIMEOUT),
    ],
    env,
  );
}

async function connect(gateway: string): Promise<RemoteClient> {
  const { url } = gateways[gateway]!;
  const ipv6 = url.includes('[');
  const client = await clientHost.connect(url, {
    localAddress: ipv6 ? (host('e').ipv6 ?? undefined) : host('e').ipv4,
    deadAfterMs: CLIENT_DEAD_AFTER,
  });
  clients.push(client);
  return client;
}

describe('several hosts', () => {
  before(async () => {
    lab = createLab(
      [
        { name: 'a', n: 51 },
        { name: 'b', n: 52 },
        { name: 'c', n: 53 },
        { name: 'd', n: 54 },
        { name: 'e', n: 55 },
        { name: 'f', n: 56 },
      ],
      fallbackReason,
      [50, 59],
    );
    registerList = `${host('a').ipv4}:1236,${host('f').ipv4}:1236`;
    for (const [name, on] of [
      ['r1', 'a'],
      ['r2', 'f'],
    ] as const) {
      startRegister(name, on);
    }
    await Promise.all(Object.values(registers).map((r) => r.waitFor('register listening', 15_000)));

    // g1: IPv6 end to end where there is IPv6, bound to the wildcard; g2: IPv4, bound to 0.0.0.0 while
    // advertising its LAN address (on loopback with port 0, so the wildcard bind clashes with no other test).
    const b = host('b');
    const c = host('c');
    const g1Flags = b.ipv6
      ? ['--listen', `[::]:7272`, '--lan-ip', b.ipv6, '--inner-listen', '::']
      : ['--listen', `${b.ipv4}:7272`, '--lan-ip', b.ipv4];
    const g2Flags =
      lab.mode === 'namespaces'
        ? ['--listen', '0.0.0.0:7272', '--lan-ip', c.ipv4, '--inner-listen', '0.0.0.0']
        : ['--listen', `${c.ipv4}:7272`, '--lan-ip', c.ipv4, '--inner-listen', '0.0.0.0', '--inner-port', '0'];
    clientHost = new ClientHost(host('e').wrap);
    host('e').adopt(clientHost.proc);
    await Promise.all([
      startGateway('g1', 'b', g1Flags, b.ipv6 ?? b.ipv4, 7272),
      startGateway('g2', 'c', g2Flags, c.ipv4, 7272),
    ]);
    for (const r of Object.values(registers)) {
      for (const g of Object.values(gateways)) await r.waitFor(`gateway ${g.inner} joined`);
    }
    workers.push(startWorker('w1'), startWorker('w2'));
    for (const w of workers) {
      for (const g of Object.values(gateways)) await w.waitFor(`connected to gateway ${g.inner}`, 15_000);
    }
    await clientHost.ready;
  });

  after(async () => {
    try {
      for (const c of clients) c.close();
      await clientHost?.stop();
      await killAll();
    } finally {
      lab?.destroy();
    }
  });

  it('runs each host in its own network namespace', { skip: fallbackReason ?? false }, () => {
    const netns = (p: RoleProcess) => readlinkSync(`/proc/${p.proc.pid}/ns/net`);
    const spaces = new Set([registers.r1, gateways.g1!.proc, gateways.g2!.proc, workers[0]!].map(netns));
    assert.equal(spaces.size, 4);
    assert.notEqual(netns(workers[0]!), readlinkSync('/proc/self/ns/net'));
  });

  it('routes between clients on E, gateways on B and C and workers on D', async () => {
    [x, y] = [await connect('g1'), await connect('g2')];
    const g1 = gateways.g1!;
    const g2 = gateways.g2!;
    // Ids name the advertised address, not the wildcard the gateway is bound to.
    assert.equal(gatewayOf(x.clientId), g1.inner);
    assert.equal(gatewayOf(y.clientId), g2.inner);
    assert.doesNotMatch(g1.inner + g2.inner, /0\.0\.0\.0|\[::\]/);
    if (lab.mode === 'namespaces') assert.equal(g1.inner, `[${host('b').ipv6}]:2900`);
    // The gateways saw the clients come from host E.
    assert.equal(String(x.hello.ip).replace('::ffff:', ''), host('e').ipv6 ?? host('e').ipv4);
    assert.equal(String(y.hello.ip).replace('::ffff:', ''), host('e').ipv4);

    await x.call('bindUid', ['$self', 'x']);
    await y.call('bindUid', ['$self', 'y']);
    await x.call('sendToUid', ['y', 'hello y']);
    await y.next(is('hello y'));
    await y.call('sendToClient', [x.clientId, 'hello x']);
    await x.next(is('hello x'));
    await x.call('joinGroup', ['$self', 'room']);
    await y.call('joinGroup', ['$self', 'room']);
    await x.call('sendToGroup', ['room', 'to the room', [x.clientId]]);
    await y.next(is('to the room'));
    await x.nothing(is('to the room'));
    assert.equal(await x.call('getAllClientIdCount'), 2);
    assert.deepEqual([...((await x.call('getAllUidList')) as string[])].sort(), ['x', 'y']);
    assert.equal(await x.call('isOnline', [y.clientId]), true);
    assert.equal(((await x.call('getSession', [y.clientId])) as { connectedVia: string }).connectedVia, g2.inner);
  });

  it('keeps traffic untouched while a register restarts, and the register learns the cluster again', async (t) => {
    const watched = [...workers, gateways.g1!.proc, gateways.g2!.proc];
    const before = marks(watched);
    let stop = false;
    let sent = 0;
    const ticking = (async () => {
      for (let i = 0; !stop && i < 400; i++) {
        await x.call('sendToUid', ['y', { tick: i }]);
        sent = i + 1;
        await sleep(25);
      }
    })();
    await sleep(200);
    await registers.r2.kill('SIGKILL');
    const t0 = Date.now();
    const r2 = startRegister('r2', 'f');
    const joined = await Promise.all(Object.values(gateways).map((g) => r2.waitFor(`gateway ${g.inner} joined`)));
    t.diagnostic(
      `restarted register knew every gateway again ${Math.max(...joined.map((l) => since(t0, l)))} ms later`,
    );
    await sleep(200);
    stop = true;
    await ticking;
    for (let i = 0; i < sent; i++) await y.next(is({ tick: i }), 2000);
    assert.ok(sent > 10, `${sent} messages went through during the restart`);
    for (const proc of watched) {
      const lines = proc.lines.slice(before.get(proc));
      const cut = lines.filter((l) => /lost gateway|forgot gateway|worker .* disconnected/.test(String(l.msg)));
      assert.deepEqual(cut, [], `${proc.name} kept its links`);
    }
    // A worker that asks only the restarted register finds both gateways.
    const w3 = startWorker('w3', `${host('f').ipv4}:1236`);
    for (const g of Object.values(gateways)) await w3.waitFor(`connected to gateway ${g.inner}`, 15_000);
    await w3.kill('SIGTERM');
    assert.equal(x.closeCode, null);
    assert.equal(y.closeCode, null);
  });

  it('drops a gateway whose host is cut off from every worker; its clients move; calls about them are quiet', async (t) => {
    const g2 = gateways.g2!;
    const oldY = y.clientId;
    const before = marks([...workers, ...Object.values(registers)]);
    const t0 = Date.now();
    lab.cut('c');
    t.diagnostic(`host C cut off: ${lab.cutOffMethod}`);

    // An aggregate asked at once neither hangs nor undercounts: it fails when g2 is found dead (or times out).
    const aggregate = x.call('getAllClientIdCount', [], QUERY_TIMEOUT + 3000).then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    const dropped = await Promise.all(workers.map((w) => logAfter(w, before.get(w)!, `forgot gateway ${g2.inner}`)));
    const left = await Promise.all(
      Object.values(registers).map((r) => logAfter(r, before.get(r)!, `gateway ${g2.inner} left`)),
    );
    assert.match(String(await aggregate), /^SB_ERR_(GATEWAY_UNAVAILABLE|QUERY_TIMEOUT)$/);
    t.diagnostic(`workers dropped the gateway after ${dropped.map((l) => since(t0, l)).join(', ')} ms`);
    t.diagnostic(`registers dropped it after ${left.map((l) => since(t0, l)).join(', ')} ms`);

    await y.closed;
    assert.ok(y.dead, 'the client gave up on the silent gateway');
    t.diagnostic(`its client noticed after ${Date.now() - t0} ms (${CLIENT_DEAD_AFTER} ms without a ping)`);
    const y2 = await connect('g1');
    await y2.call('bindUid', ['$self', 'y']);
    await x.call('sendToUid', ['y', 'after the cut']);
    await y2.next(is('after the cut'));

    const t1 = Date.now();
    assert.equal(await x.call('isOnline', [oldY]), false);
    assert.equal(await x.call('getSession', [oldY]), null);
    assert.equal(await x.call('getUidByClientId', [oldY]), null);
    assert.equal(await x.call('sendToClient', [oldY, 'into the void']), null);
    t.diagnostic(`four calls about a client of the cut-off gateway took ${Date.now() - t1} ms`);
    assert.equal(await x.call('getAllClientIdCount'), 2);
    assert.deepEqual(await x.call('getClientIdListByGroup', ['room']), [x.clientId]);
    y = y2;

    // Plugged back in, the gateway announces itself again and the workers link to it.
    const back = marks([...workers, g2.proc]);
    const t2 = Date.now();
    lab.restore('c');
    const relinked = await Promise.all(
      workers.map((w) => logAfter(w, back.get(w)!, `connected to gateway ${g2.inner}`, 30_000)),
    );
    t.diagnostic(`after the cable was back, workers relinked in ${relinked.map((l) => since(t2, l)).join(', ')} ms`);
    // Both registers have it again (the later tests cut them off and expect to see those links break).
    const announced = await Promise.all(
      [host('a'), host('f')].map((r) => logAfter(g2.proc, back.get(g2.proc)!, `connected to register ${r.ipv4}:1236`)),
    );
    t.diagnostic(`and the gateway was back with both registers in ${announced.map((l) => since(t2, l)).join(', ')} ms`);
    const y3 = await connect('g2');
    await x.call('sendToClient', [y3.clientId, 'welcome back']);
    await y3.next(is('welcome back'));
    assert.equal(x.closeCode, null);
  });

  it('goes on with every register host cut off, and finds a gateway started meanwhile once one returns', async (t) => {
    const watched = [...workers, gateways.g1!.proc, gateways.g2!.proc];
    const before = marks(watched);
    const t0 = Date.now();
    lab.cut('a');
    lab.cut('f');
    const lost = await Promise.all(
      watched.flatMap((p) =>
        [host('a'), host('f')].map((r) => logAfter(p, before.get(p)!, `lost register ${r.ipv4}:1236`)),
      ),
    );
    t.diagnostic(
      `register links found dead after ${Math.min(...lost.map((l) => since(t0, l)))}-${Math.max(...lost.map((l) => since(t0, l)))} ms`,
    );

    await x.call('sendToUid', ['y', 'no register needed']);
    await y.next(is('no register needed'));
    assert.equal(await x.call('getAllClientIdCount'), 3);

    const b = host('b');
    const g3 = await startGateway(
      'g3',
      'b',
      ['--listen', `${b.ipv4}:7273`, '--lan-ip', b.ipv4, '--inner-port', '2901'],
      b.ipv4,
      7273,
    );
    await sleep(1000);
    for (const w of workers) assert.equal(w.logged(`connected to gateway ${g3.inner}`).length, 0, 'not found yet');

    const back = marks([...workers, registers.r1]);
    const t1 = Date.now();
    lab.restore('a');
    for (const g of Object.values(gateways)) {
      await logAfter(registers.r1, back.get(registers.r1)!, `gateway ${g.inner} joined`, 30_000);
    }
    const found = await Promise.all(
      workers.map((w) => logAfter(w, back.get(w)!, `connected to gateway ${g3.inner}`, 30_000)),
    );
    t.diagnostic(
      `with register A back, workers found the new gateway in ${found.map((l) => since(t1, l)).join(', ')} ms`,
    );
    const z = await connect('g3');
    await x.call('sendToClient', [z.clientId, 'found you']);
    await z.next(is('found you'));
    assert.equal(await x.call('getAllClientIdCount'), 4);

    lab.restore('f');
    await logAfter(registers.r2, 0, `gateway ${g3.inner} joined`, 30_000);
  });

  it('holds the events of clients whose workers\u2019 host is cut off, and runs them in order once it is back', async (t) => {
    const gatewayProcs = Object.values(gateways).map((g) => g.proc);
    const before = marks(gatewayProcs);
    const t0 = Date.now();
    lab.cut('d');
    const gone = await Promise.all(
      gatewayProcs.flatMap((g) => ['w1', 'w2'].map((w) => logAfter(g, before.get(g)!, `worker ${w} disconnected`))),
    );
    t.diagnostic(`gateways dropped the workers after ${Math.max(...gone.map((l) => since(t0, l)))} ms at most`);

    const isReply = (m: unknown) => typeof (m as { seq?: unknown }).seq === 'number';
    for (let seq = 0; seq < 10; seq++) x.send({ seq });
    await x.nothing(isReply, 500);
    assert.equal(x.closeCode, null, 'the client stays connected');

    const t1 = Date.now();
    lab.restore('d');
    for (let seq = 0; seq < 10; seq++) {
      const reply = (await x.next(isReply, 30_000)) as { seq: number; count: number };
      if (seq === 0) t.diagnostic(`first held event handled ${Date.now() - t1} ms after the cable was back`);
      assert.deepEqual([reply.seq, reply.count], [seq, seq + 1]);
    }
    assert.equal(x.closeCode, null);
  });
});
