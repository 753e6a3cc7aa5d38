import { Command, InvalidArgumentError, Option } from 'commander';
import { FAULT_KINDS, SOAK_ROLES, type FaultKind, type SoakRole } from './fault-schedule.ts';

/** The settings of a soak run: `npm run soak -- --duration 10m --seed 42 …`. */
export interface SoakOptions {
  /** ms of load. @default 10 minutes */
  duration: number;
  /** The seed of the fault schedule and of the clients' choice of targets. @default random, printed */
  seed: number | undefined;
  /** @default 200 */
  clients: number;
  /** Messages per second per client. @default 20 */
  rate: number;
  /** @default 2 */
  gateways: number;
  /** @default 2 */
  workers: number;
  /** Mean ms between faults. @default 15 s */
  faultEvery: number;
  /** ms a SIGSTOPped process stays stopped. @default 3 s */
  stopTime: number;
  faults: FaultKind[];
  roles: SoakRole[];
  /** Handed to the gateways; at most this many events per client are lost with a killed worker. @default 16 */
  maxEventsInFlight: number;
  /** Loopback address of the cluster. @default 127.0.0.170 */
  host: string;
  /** @default 2 s */
  sampleEvery: number;
  /** @default 10 */
  memoryGrowth: number;
  /** Longest wait for the last deliveries once the load stopped, ms. @default 15 s */
  settle: number;
  /** ms a fault may take to recover from. @default 30 s */
  recoveryTimeout: number;
  report: string | undefined;
  log: string | undefined;
  logLevel: string;
}

/** `10m`, `45s`, `1500ms`, `1h`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('give a time such as 600, 45s, 10m or 1500ms');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number above 0');
  return n;
}

function listOf<T extends string>(allowed: readonly T[]) {
  return (text: string): T[] => {
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item as T)) throw new InvalidArgumentError(`each of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
}

/** A flag with its parser and its default, shown in `--help` as `shown` (`10m` rather than 600000). */
function opt<T>(flags: string, description: string, parse?: (text: string) => T, value?: T, shown?: string): Option {
  const option = new Option(flags, description);
  if (parse) option.argParser((text: string) => parse(text));
  if (value !== undefined) option.default(value, shown);
  return option;
}

export function soakCommand(): Command {
  return new Command('soak')
    .description(
      'Runs a Switchboard cluster (switchboard start: a register, gateways, business workers) under load while it ' +
        'kills, stops, restarts and reloads its processes at random (seeded), and accounts for every message. ' +
        'Exits 1 on a loss no doc allows, a duplicate, a reordering or memory that keeps growing.',
    )
    .addOption(opt('--duration <time>', 'how long the load runs (600, 45s, 10m)', parseDuration, 600_000, '10m'))
    .addOption(
      opt('--seed <n>', 'seed of the fault schedule and of the targets (default: random, printed)', (s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number');
        return n;
      }),
    )
    .addOption(opt('--clients <n>', 'clients, each bound to its own uid', positiveInt, 200))
    .addOption(opt('--rate <n>', 'messages per second per client, each to a random other uid', positiveInt, 20))
    .addOption(opt('--gateways <n>', 'gateway processes', positiveInt, 2))
    .addOption(opt('--workers <n>', 'business worker processes', positiveInt, 2))
    .addOption(
      opt(
        '--fault-every <time>',
        'mean time between faults (each gap 0.5–1.5 times this)',
        parseDuration,
        15_000,
        '15s',
      ),
    )
    .addOption(
      opt('--stop-time <time>', 'how long a stopped (SIGSTOP) process stays stopped', parseDuration, 3000, '3s'),
    )
    .addOption(
      opt(
        '--faults <kinds>',
        `kinds of fault (${FAULT_KINDS.join(',')})`,
        listOf(FAULT_KINDS),
        [...FAULT_KINDS],
        FAULT_KINDS.join(','),
      ),
    )
    .addOption(
      opt(
        '--roles <roles>',
        `roles to fault (${SOAK_ROLES.join(',')})`,
        listOf(SOAK_ROLES),
        [...SOAK_ROLES],
        SOAK_ROLES.join(','),
      ),
    )
    .addOption(opt('--max-events-in-flight <n>', "the gateways' --max-events-in-flight", positiveInt, 16))
    .addOption(
      opt(
        '--host <ip>',
        'loopback address of the cluster (ports 7272, 1236, 2900+, 9400+, 9500+)',
        String,
        '127.0.0.170',
      ),
    )
    .addOption(opt('--sample-every <time>', 'how often memory and counters are sampled', parseDuration, 2000, '2s'))
    .addOption(
      opt(
        '--memory-growth <percent>',
        'growth of the second half over the first (after a 60 s warm-up) that fails',
        Number,
        10,
      ),
    )
    .addOption(
      opt('--settle <time>', 'longest wait for the last deliveries after the load stops', parseDuration, 15_000, '15s'),
    )
    .addOption(
      opt('--recovery-timeout <time>', 'how long a fault may take to recover from', parseDuration, 30_000, '30s'),
    )
    .addOption(opt('--report <file>', 'also write the report as JSON to this file'))
    .addOption(
      opt('--log <file>', "where the cluster's log lines go (default: a file in the temporary folder, printed)"),
    )
    .addOption(opt('--log-level <level>', "the cluster's log level", String, 'info'));
}

export function soakOptions(argv: readonly string[]): SoakOptions {
  // A flag it cannot read is a run that could not start: exit 2, as for a cluster that does not come up.
  const command = soakCommand().exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  command.parse(argv, { from: 'user' });
  return command.opts<SoakOptions>();
}
