import type { ClusterSize } from './scenarios/cluster.ts';
import { SERVER_KINDS, type ServerKind } from './targets.ts';

export type Mode = 'smoke' | 'quick' | 'full';
export const SCENARIOS = [
  'echo',
  'touid',
  'pipelined',
  'fanout',
  'latency',
  'routing',
  'idle',
  'directory',
  'codec',
  'storm',
  'cluster',
  'kept',
] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  mode: Mode;
  /** Servers the bench starts and measures side by side. */
  targets: ServerKind[];
  /** Also measure a server someone else runs: its WebSocket URL(s), and the PIDs to read CPU and memory of. */
  externalUrls: string[];
  externalPids: number[];
  scenarios: ScenarioId[];
  /** Switchboard gateway and business worker processes. @default 1 and 1 */
  gateways: number;
  workers: number;
  /** Load-generator processes. @default 2 */
  generators: number;
  /** Echo load on each freshly started server before the first scenario, so its code is compiled. */
  serverWarmupMs: number;
  /** Load runs this long before counting starts, then is counted this long. */
  warmupMs: number;
  durationMs: number;
  /** Pause after each run, so messages still in flight do not spill into the next one. */
  settleMs: number;
  /** Runs per scenario and server, round-robin over the servers; the one with the least CPU per message is kept. */
  repeats: number;
  /** Latency under load: open-loop windows; the one with the median p99 is reported. */
  latencyRepeats: number;
  /** Echo: clients, one message in flight each. */
  echoClients: number[];
  /** touid: clients sending (one in flight each) and logged-in clients receiving. */
  touidSenders: number;
  touidReceivers: number;
  /** Routing: the touid load on 1 gateway, then on this many with each routing mode. */
  routingGateways: number;
  /** Fanout: receivers; broadcasts in flight. */
  fanoutReceivers: number[];
  fanoutWindow: number;
  /** Idle: connection counts to reach, in order, until one cannot be reached. */
  idleSteps: number[];
  /** How long idle connections settle before memory is read. */
  idleSettleMs: number;
  /** Directory: uids fed to one subscriber's directory, per size (spread over several gateways). */
  directorySizes: number[];
  /** Codec: encode/decode calls per command and round (no sockets). */
  codecCalls: number;
  /** Storm: logged-in clients on the gateway that is killed and restarted. */
  stormClients: number;
  /** Cluster: the simulated big cluster. */
  cluster: ClusterSize;
  /** Loopback addresses servers listen on, and the load generator's source addresses. */
  serverHost: Record<ServerKind, string>;
  clientHosts: string[];
  /** Connections each load process opens at once. */
  connectConcurrency: number;
  /** Where the JSON goes; null writes none. */
  outDir: string | null;
  /** Run Switchboard's gateways and workers under `--cpu-prof`, writing profiles here. */
  profileDir: string | null;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `127.0.0.${from + i}`);

const PRESETS: Record<Mode, Omit<BenchOptions, 'outDir' | 'profileDir'>> = {
  full: {
    mode: 'full',
    targets: ['ws', 'socketio', 'switchboard', 'net', 'switchboard-tcp'],
    externalUrls: [],
    externalPids: [],
    scenarios: [...SCENARIOS],
    gateways: 1,
    workers: 1,
    generators: 2,
    serverWarmupMs: 5000,
    warmupMs: 1500,
    durationMs: 4000,
    settleMs: 500,
    repeats: 2,
    latencyRepeats: 3,
    echoClients: [100, 1000],
    touidSenders: 100,
    touidReceivers: 1000,
    routingGateways: 4,
    fanoutReceivers: [1000, 10_000],
    fanoutWindow: 2,
    idleSteps: [10_000, 25_000, 50_000, 75_000, 100_000],
    idleSettleMs: 3000,
    directorySizes: [100_000, 1_000_000, 10_000_000],
    codecCalls: 100_000,
    stormClients: 19_000,
    cluster: { registers: 2, gateways: 16, workers: 8, clientsPerGateway: 3, quietMs: 5000 },
    serverHost: {
      ws: '127.0.0.76',
      socketio: '127.0.0.77',
      switchboard: '127.0.0.78',
      net: '127.0.0.79',
      'switchboard-tcp': '127.0.0.80',
    },
    clientHosts: range(60, 75),
    connectConcurrency: 50,
  },
  quick: {
    mode: 'quick',
    targets: ['ws', 'socketio', 'switchboard', 'net', 'switchboard-tcp'],
    externalUrls: [],
    externalPids: [],
    scenarios: [...SCENARIOS],
    gateways: 1,
    workers: 1,
    generators: 2,
    serverWarmupMs: 1000,
    warmupMs: 500,
    durationMs: 1500,
    settleMs: 300,
    repeats: 1,
    latencyRepeats: 1,
    echoClients: [100],
    touidSenders: 20,
    touidReceivers: 200,
    routingGateways: 4,
    fanoutReceivers: [1000],
    fanoutWindow: 2,
    idleSteps: [2000, 5000],
    idleSettleMs: 1000,
    directorySizes: [100_000, 1_000_000],
    codecCalls: 20_000,
    stormClients: 5000,
    cluster: { registers: 2, gateways: 16, workers: 8, clientsPerGateway: 2, quietMs: 2000 },
    serverHost: {
      ws: '127.0.0.76',
      socketio: '127.0.0.77',
      switchboard: '127.0.0.78',
      net: '127.0.0.79',
      'switchboard-tcp': '127.0.0.80',
    },
    clientHosts: range(60, 75),
    connectConcurrency: 50,
  },
  // For the test that keeps the harness from rotting: seconds, tiny numbers, 127.0.0.60-69 only.
  smoke: {
    mode: 'smoke',
    targets: ['ws', 'socketio', 'switchboard', 'net', 'switchboard-tcp'],
    externalUrls: [],
    externalPids: [],
    scenarios: [...SCENARIOS],
    gateways: 1,
    workers: 1,
    generators: 1,
    serverWarmupMs: 0,
    warmupMs: 100,
    durationMs: 250,
    settleMs: 50,
    repeats: 1,
    latencyRepeats: 1,
    echoClients: [10],
    touidSenders: 2,
    touidReceivers: 8,
    routingGateways: 2,
    fanoutReceivers: [20],
    fanoutWindow: 2,
    idleSteps: [100],
    idleSettleMs: 100,
    directorySizes: [1000, 20_000],
    codecCalls: 1000,
    stormClients: 100,
    cluster: { registers: 2, gateways: 3, workers: 2, clientsPerGateway: 2, quietMs: 500 },
    serverHost: {
      ws: '127.0.0.65',
      socketio: '127.0.0.66',
      switchboard: '127.0.0.67',
      net: '127.0.0.68',
      'switchboard-tcp': '127.0.0.69',
    },
    clientHosts: range(60, 64),
    connectConcurrency: 10,
  },
};

export const USAGE = `usage: npm run bench -- [options]

  --quick                about a minute: small counts, short runs
  --full                 the default: every scenario at full size (under ~10 minutes)
  --only a,b             scenarios: ${SCENARIOS.join(', ')}
  --targets a,b          servers: ws, socketio, switchboard, net, switchboard-tcp (default all); "none" for only --url
  --url URL[,URL]        also measure a server you run that speaks the bench protocol (bench/protocol.ts)
  --pids P[,P]           with --url: its process ids, for CPU and memory figures
  --gateways N           Switchboard gateway processes (default 1)
  --workers M            Switchboard business worker processes (default 1)
  --routing-gateways N   routing scenario: gateways in its multi-gateway layouts (default 4)
  --generators N         load-generator processes (default 2)
  --duration MS          measured time of each run
  --repeats N            runs per scenario and server, round-robin; the least CPU per message is kept
  --idle-steps a,b,...   idle connection counts to reach
  --directory-sizes a,b  directory: uid counts (default 100000,1000000,10000000)
  --codec-calls N        codec: encode/decode calls per command and round (default 100000)
  --storm-clients N      storm: clients on the gateway that is killed and restarted (default 19000)
  --cluster R,G,W        cluster: registers, gateways, workers (default 2,16,8)
  --out DIR              where the JSON goes (default bench/results; --no-json writes none)
  --profile DIR          run Switchboard's gateway and worker under node --cpu-prof, profiles into DIR
`;

/** Options from the command line; throws a readable error for anything it does not know. */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const args = [...argv];
  const mode: Mode = args.includes('--quick') ? 'quick' : args.includes('--smoke') ? 'smoke' : 'full';
  const options: BenchOptions = { ...PRESETS[mode], outDir: defaultOutDir, profileDir: null };
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const count = (flag: string, v: string, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} wants a whole number >= ${min}, got "${v}"`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--quick' || flag === '--full' || flag === '--smoke') continue;
    if (flag === '--no-json') {
      options.outDir = null;
      continue;
    }
    const value = args[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n\n${USAGE}`);
    switch (flag) {
      case '--only':
        options.scenarios = list(value).map((s) => {
          if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"`);
          return s as ScenarioId;
        });
        break;
      case '--url':
        options.externalUrls = list(value).map((u) => {
          if (!/^wss?:\/\/[^/]+/.test(u)) throw new Error(`--url wants ws://HOST:PORT, got "${u}"`);
          return u;
        });
        break;
      case '--pids':
        options.externalPids = list(value).map((v) => count(flag, v));
        break;
      case '--targets':
        options.targets = list(value)
          .filter((t) => t !== 'none')
          .map((t) => {
            const kind = SERVER_KINDS.find((k) => k === t);
            if (!kind) throw new Error(`unknown target "${t}"`);
            return kind;
          });
        break;
      case '--gateways':
        options.gateways = count(flag, value);
        break;
      case '--workers':
        options.workers = count(flag, value);
        break;
      case '--routing-gateways':
        options.routingGateways = count(flag, value, 2);
        break;
      case '--generators':
        options.generators = count(flag, value);
        break;
      case '--repeats':
        options.repeats = count(flag, value);
        break;
      case '--duration':
        options.durationMs = count(flag, value, 100);
        break;
      case '--idle-steps':
        options.idleSteps = list(value).map((v) => count(flag, v));
        break;
      case '--directory-sizes':
        options.directorySizes = list(value).map((v) => count(flag, v));
        break;
      case '--codec-calls':
        options.codecCalls = count(flag, value);
        break;
      case '--storm-clients':
        options.stormClients = count(flag, value);
        break;
      case '--cluster': {
        const [registers, gateways, workers] = list(value).map((v) => count(flag, v));
        if (workers === undefined)
          throw new Error(`--cluster wants R,G,W (registers, gateways, workers), got "${value}"`);
        options.cluster = { ...options.cluster, registers: registers!, gateways: gateways!, workers };
        break;
      }
      case '--out':
        options.outDir = value;
        break;
      case '--profile':
        options.profileDir = value;
        break;
      default:
        throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
  }
  return options;
}

/** The preset of a mode, for programs (the smoke test) that run the bench in-process. */
export function presetOptions(mode: Mode, overrides: Partial<BenchOptions> = {}): BenchOptions {
  return { ...PRESETS[mode], outDir: null, profileDir: null, ...overrides };
}
