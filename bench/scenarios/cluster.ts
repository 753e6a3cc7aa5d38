import WebSocket from 'ws';
import { BenchCluster, ioBytes, scrapeMetric, socketCount } from '../bench-cluster.ts';
import { cpuSeconds } from '../proc-stats.ts';
import { sleep } from '../measure.ts';
import { OK } from '../protocol.ts';

/** The size of the simulated cluster. */
export interface ClusterSize {
  registers: number;
  gateways: number;
  workers: number;
  clientsPerGateway: number;
  /** Quiet time over which the registers' steady CPU and traffic are measured. */
  quietMs: number;
}

export interface ClusterResult extends ClusterSize {
  startMs: number;
  /** New gateway's "connected to register" to the last worker's "connected to gateway", ms. */
  joinMs: number;
  /** SIGKILL of a gateway to the last worker's link down ("lost") and to it being forgotten, ms. */
  lostMs: number;
  forgottenMs: number;
  /** Register CPU (ms per s) and bytes read + written per s, while nothing changes, then over join + death. */
  register: { quietCpuMsPerS: number; quietBytesPerS: number; churnCpuMs: number; churnBytes: number };
  /** Sockets held per process, by role: listeners, links and client connections. */
  sockets: { register: number[]; gateway: number[]; worker: number[] };
  /** For each uid / group send: the gateways that got the command vs the gateways with members. */
  exact: { uid: boolean; group: boolean; detail: string };
  lines: string[];
}

const BASE_PORT = 23_000;

/** A bench-protocol client: `login:` and `join:` wait for `ok`; keeps what else it receives. */
class Client {
  readonly received: string[] = [];
  private waiting: (() => void) | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === OK && this.waiting) return this.waiting();
      this.received.push(text);
    });
  }

  static async open(url: string, uid: string, group: string | null): Promise<Client> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new Client(ws);
    await client.request(`login:${uid}`);
    if (group) await client.request(`join:${group}`);
    return client;
  }

  private request(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ok for ${text}`)), 20_000);
      this.waiting = () => {
        clearTimeout(timer);
        this.waiting = null;
        resolve();
      };
      this.ws.send(text);
    });
  }
}

/**
 * cluster: a big cluster simulated on one machine (by default 2 registers, 16 gateways, 8 workers, a few
 * clients on each gateway). Measures how long a new gateway takes to be linked from every worker, how long
 * a dead one takes to be dropped everywhere, the registers' CPU and traffic, the sockets each process holds,
 * and checks that sendToUid and sendToGroup reach exactly the gateways with members (each gateway's
 * switchboard_gateway_send_commands_total before and after).
 */
export async function clusterScenario(
  size: ClusterSize,
  host: string,
  log: (line: string) => void = () => {},
): Promise<ClusterResult> {
  const { registers, gateways, workers, clientsPerGateway } = size;
  const cluster = new BenchCluster({ host, registers, gateways: gateways + 1, workers, basePort: BASE_PORT });
  const clients: Client[] = [];
  try {
    // The last gateway slot is the one that joins later.
    let t = Date.now();
    await cluster.start(gateways);
    const startMs = Date.now() - t;
    log(`  ${registers} registers, ${gateways} gateways, ${workers} workers up in ${startMs} ms`);

    // Clients: on gateway g, uids g-0, g-1, …; the group "some" only on every third gateway.
    const groupGateways = Array.from({ length: gateways }, (_, g) => g).filter((g) => g % 3 === 0);
    for (let g = 0; g < gateways; g++) {
      for (let c = 0; c < clientsPerGateway; c++) {
        const group = c === 0 && groupGateways.includes(g) ? 'some' : null;
        clients.push(await Client.open(cluster.gatewayUrl(g), `g${g}-c${c}`, group));
      }
    }

    // Steady state: the registers' cost while nothing changes (heartbeats only).
    const registerPids = cluster.registers.map((r) => r.pid);
    const cpu0 = registerPids.map(cpuSeconds);
    const io0 = registerPids.map(ioBytes);
    await sleep(size.quietMs);
    const quietCpu = sum(registerPids.map((pid, i) => cpuSeconds(pid) - cpu0[i]!));
    const quietIo = sum(
      registerPids.map((pid, i) => ioBytes(pid).read + ioBytes(pid).written - io0[i]!.read - io0[i]!.written),
    );

    // Sends from a client on gateway 0: to a uid on the last gateway, then to the group.
    const sender = clients[0]!;
    const target = gateways - 1;
    const sends = 20;
    const uid = await routedTo(
      cluster,
      gateways,
      () => {
        for (let i = 0; i < sends; i++) sender.ws.send(`touid:g${target}-c1:hello-${i}`);
      },
      [clients[target * clientsPerGateway + 1]!],
      'hello-',
      sends,
    );
    const groupMembers = groupGateways.map((g) => clients[g * clientsPerGateway]!);
    const group = await routedTo(
      cluster,
      gateways,
      () => {
        for (let i = 0; i < sends; i++) sender.ws.send(`group:some:all-${i}`);
      },
      groupMembers,
      'all-',
      sends,
    );
    const uidOk = uid.delivered && uid.got.every((n, g) => n === (g === target ? sends : 0));
    const groupOk = group.delivered && group.got.every((n, g) => n === (groupGateways.includes(g) ? sends : 0));
    const detail =
      `uid: commands per gateway ${JSON.stringify(uid.got)}; group: ${JSON.stringify(group.got)} ` +
      `(members on gateways ${groupGateways.join(',')})${uid.delivered && group.delivered ? '' : '; deliveries incomplete'}`;

    const sockets = {
      register: cluster.registers.map((r) => socketCount(r.pid)),
      gateway: cluster.gateways.filter((g) => g !== null).map((g) => socketCount(g!.pid)),
      worker: cluster.workers.map((w) => socketCount(w.pid)),
    };

    // A new gateway joins: until every worker has linked to it.
    const cpu1 = registerPids.map(cpuSeconds);
    const io1 = registerPids.map(ioBytes);
    const fresh = cluster.startGateway(gateways);
    const inner = cluster.innerAddress(gateways);
    await fresh.waitFor('connected to register', 60_000);
    t = Date.now();
    await Promise.all(cluster.workers.map((w) => w.waitFor(`connected to gateway ${inner}`, 60_000)));
    const joinMs = Date.now() - t;

    // A gateway dies: until every worker noticed (link down) and forgot it (no register lists it).
    const victim = 1;
    const victimInner = cluster.innerAddress(victim);
    t = Date.now();
    const lost = Promise.all(cluster.workers.map((w) => w.waitFor(`lost gateway ${victimInner}`, 60_000))).then(
      () => Date.now() - t,
    );
    const forgotten = Promise.all(cluster.workers.map((w) => w.waitFor(`forgot gateway ${victimInner}`, 60_000))).then(
      () => Date.now() - t,
    );
    await cluster.killGateway(victim);
    const [lostMs, forgottenMs] = await Promise.all([lost, forgotten]);
    const churnCpu = sum(registerPids.map((pid, i) => cpuSeconds(pid) - cpu1[i]!));
    const churnIo = sum(
      registerPids.map((pid, i) => ioBytes(pid).read + ioBytes(pid).written - io1[i]!.read - io1[i]!.written),
    );

    const quietS = size.quietMs / 1000;
    const result: ClusterResult = {
      ...size,
      startMs,
      joinMs,
      lostMs,
      forgottenMs,
      register: {
        quietCpuMsPerS: round((quietCpu * 1000) / quietS / registers),
        quietBytesPerS: Math.round(quietIo / quietS / registers),
        churnCpuMs: round((churnCpu * 1000) / registers),
        churnBytes: Math.round(churnIo / registers),
      },
      sockets,
      exact: { uid: uidOk, group: groupOk, detail },
      lines: [],
    };
    const range = (xs: number[]) => (xs.length ? `${Math.min(...xs)}–${Math.max(...xs)}` : '—');
    result.lines = [
      `cluster: ${registers} registers, ${gateways} gateways, ${workers} workers: started in ${(startMs / 1000).toFixed(1)} s; ` +
        `a new gateway linked from every worker in ${joinMs} ms; a dead one lost by every worker in ${lostMs} ms, forgotten in ${forgottenMs} ms`,
      `cluster: register (each) ${result.register.quietCpuMsPerS} ms CPU/s and ${result.register.quietBytesPerS} bytes/s when quiet; ` +
        `${result.register.churnCpuMs} ms CPU and ${result.register.churnBytes} bytes for one join and one death`,
      `cluster: sockets per process: register ${range(sockets.register)}, gateway ${range(sockets.gateway)}, worker ${range(sockets.worker)}`,
      `cluster: sendToUid reached exactly the gateways with members: ${uidOk ? 'yes' : 'NO'}; sendToGroup: ${groupOk ? 'yes' : 'NO'} (${detail})`,
    ];
    return result;
  } finally {
    for (const c of clients) c.ws.terminate();
    await cluster.stop();
  }
}

function sendCommands(cluster: BenchCluster, g: number): Promise<number> {
  return scrapeMetric(cluster.gatewayMetrics(g), 'switchboard_gateway_send_commands_total');
}

/**
 * Runs `send`, waits until each receiver has `count` messages starting with `prefix`, and returns how many
 * send commands each gateway got meanwhile.
 */
async function routedTo(
  cluster: BenchCluster,
  gateways: number,
  send: () => void,
  receivers: Client[],
  prefix: string,
  count: number,
): Promise<{ got: number[]; delivered: boolean }> {
  const each = () => Promise.all(Array.from({ length: gateways }, (_, g) => sendCommands(cluster, g)));
  const before = await each();
  send();
  const done = () => receivers.every((c) => c.received.filter((m) => m.startsWith(prefix)).length >= count);
  const deadline = Date.now() + 15_000;
  while (!done() && Date.now() < deadline) await sleep(20);
  // Commands that would reach a gateway wrongly travel as fast as the right ones: give them a moment.
  await sleep(200);
  const after = await each();
  return { got: after.map((n, g) => n - before[g]!), delivered: done() };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (n: number) => Math.round(n * 100) / 100;
