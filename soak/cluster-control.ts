import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlRequest } from '../cli/control-socket.ts';
import type { SoakRole } from './fault-schedule.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'bin', 'switchboard.js');
/** The app the workers run: it binds uids and relays messages by uid (see events.ts). */
export const SOAK_EVENTS = fileURLToPath(new URL('./events.ts', import.meta.url));

export interface ClusterOptions {
  /** Loopback address every port of the cluster is on. */
  host: string;
  gateways: number;
  workers: number;
  maxEventsInFlight: number;
  /** Where the cluster's JSON log lines go. */
  logFile: string;
  logLevel: string;
}

/** Public, register, inner and metrics ports, all on `host`. */
export const PORTS = { public: 7272, register: 1236, inner: 2900, metrics: 9400 } as const;

/** One process of the cluster as the supervisor's `status` lists it. */
export interface ClusterProcess {
  /** `gateway#1` */
  name: string;
  role: SoakRole;
  index: number;
  pid: number | null;
}

/**
 * The cluster under test: `switchboard start` from this repository (a register, the gateways, the business
 * workers), driven through its control socket (`status`, `reload`, `stop`) and by signals to its children.
 */
export class ClusterControl {
  private supervisor: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchboard-soak-'));
  readonly controlPath = join(this.dir, 'control.sock');
  private log: WriteStream | null = null;
  /** Every pid seen, so none is left behind (or left stopped) when the soak ends. */
  private readonly pids = new Set<number>();
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(readonly options: ClusterOptions) {}

  get url(): string {
    return `ws://${this.options.host}:${PORTS.public}/`;
  }

  get supervisorPid(): number | null {
    return this.supervisor?.pid ?? null;
  }

  /** `http://…/metrics` of gateway i or worker j (`start --metrics-listen` puts workers at + 100). */
  metricsUrl(role: 'gateway' | 'business', index: number): string {
    const port = PORTS.metrics + (role === 'business' ? 100 : 0) + index;
    return `http://${this.options.host}:${port}`;
  }

  /** Starts the supervisor and resolves once every process runs and every gateway and worker is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    const { host } = this.options;
    const args = [
      CLI,
      'start',
      '--gateways',
      String(this.options.gateways),
      '--workers',
      String(this.options.workers),
      '--events',
      SOAK_EVENTS,
      '--listen',
      `${host}:${PORTS.public}`,
      '--register-listen',
      `${host}:${PORTS.register}`,
      '--lan-ip',
      host,
      '--inner-port',
      String(PORTS.inner),
      '--metrics-listen',
      `${host}:${PORTS.metrics}`,
      '--max-events-in-flight',
      String(this.options.maxEventsInFlight),
      '--control',
      this.controlPath,
      '--log-level',
      this.options.logLevel,
    ];
    this.log = createWriteStream(this.options.logFile, { flags: 'a' });
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.supervisor = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`switchboard start exited with ${child.exitCode}; see ${this.options.logFile}`);
      }
      if (await this.whole().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`the cluster was not ready within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** Every process with its pid (null while the supervisor restarts it). */
  async processes(): Promise<ClusterProcess[]> {
    const answer = await controlRequest(this.controlPath, { cmd: 'status' }, 10_000);
    if (!answer.ok) throw new Error(answer.error);
    const rows = answer.processes as { role: string; index: number; pid: number | null }[];
    return rows
      .filter((row) => row.role === 'register' || row.role === 'gateway' || row.role === 'business')
      .map((row) => {
        if (row.pid) this.pids.add(row.pid);
        return { name: `${row.role}#${row.index}`, role: row.role as SoakRole, index: row.index, pid: row.pid };
      });
  }

  /** Whether every process runs and every gateway and worker answers its readiness probe with 200. */
  async whole(): Promise<boolean> {
    const processes = await this.processes();
    if (processes.length < 1 + this.options.gateways + this.options.workers) return false;
    if (processes.some((p) => p.pid === null)) return false;
    const probes = processes
      .filter((p) => p.role !== 'register')
      .map((p) => ready(`${this.metricsUrl(p.role as 'gateway' | 'business', p.index)}/readyz`));
    return (await Promise.all(probes)).every(Boolean);
  }

  /** `switchboard reload`: every worker replaced, one at a time. */
  async reload(): Promise<void> {
    const answer = await controlRequest(this.controlPath, { cmd: 'reload' }, 120_000);
    if (!answer.ok) throw new Error(`reload failed: ${answer.error}`);
  }

  signal(pid: number, signal: NodeJS.Signals): void {
    this.pids.add(pid);
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * Stops the cluster: every process it ran is resumed (a stopped one would hold up the stop), then `stop`
   * (workers drain, gateways close their clients); what is left after `timeoutMs` is killed.
   */
  async stop(timeoutMs = 45_000): Promise<void> {
    for (const pid of this.pids) this.signal(pid, 'SIGCONT');
    const supervisor = this.supervisor;
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
      await controlRequest(this.controlPath, { cmd: 'stop' }, 5_000).catch(() => supervisor.kill('SIGTERM'));
      const timer = setTimeout(() => supervisor.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    for (const pid of this.pids) {
      if (alive(pid)) this.signal(pid, 'SIGKILL');
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process's resident memory from /proc (Linux), in bytes; null when it is gone. */
export function residentBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
