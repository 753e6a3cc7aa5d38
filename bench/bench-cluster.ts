import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { request } from 'node:http';
import { ServerProcess } from './server-process.ts';
import { BENCH_GATEWAY_FLAGS } from './targets.ts';

const SWITCHBOARD_BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));
const APP = join(fileURLToPath(new URL('.', import.meta.url)), 'switchboard-app.ts');

/** How many of each role, on which loopback address, from which port on. */
export interface ClusterLayout {
  host: string;
  registers: number;
  gateways: number;
  workers: number;
  /**
   * Ports are fixed so a gateway restarts on the same ones: register r on base+r, gateway i's public port on
   * base+100+i, inner on base+300+i, metrics on base+500+i, worker j's metrics on base+700+j.
   */
  basePort: number;
  /** Extra gateway flags. */
  gatewayArgs?: string[];
}

/**
 * A Switchboard cluster of separate processes, started with the same CLI a deployment uses, every role with
 * `--metrics-listen` (metrics, /livez, /readyz). Gateways can be killed and started again on their ports.
 */
export class BenchCluster {
  readonly registers: ServerProcess[] = [];
  readonly gateways: (ServerProcess | null)[] = [];
  readonly workers: ServerProcess[] = [];

  constructor(readonly layout: ClusterLayout) {}

  private port(offset: number): number {
    return this.layout.basePort + offset;
  }

  registerAddress(r: number): string {
    return `${this.layout.host}:${this.port(r)}`;
  }

  /** The public WebSocket URL of gateway i. */
  gatewayUrl(i: number): string {
    return `ws://${this.layout.host}:${this.port(100 + i)}`;
  }

  innerAddress(i: number): string {
    return `${this.layout.host}:${this.port(300 + i)}`;
  }

  gatewayMetrics(i: number): string {
    return `http://${this.layout.host}:${this.port(500 + i)}`;
  }

  workerMetrics(j: number): string {
    return `http://${this.layout.host}:${this.port(700 + j)}`;
  }

  private get registerList(): string {
    return Array.from({ length: this.layout.registers }, (_, r) => this.registerAddress(r)).join(',');
  }

  private spawn(name: string, args: string[]): ServerProcess {
    return new ServerProcess(name, [SWITCHBOARD_BIN, ...args, '--log-level', 'info'], {
      SWITCHBOARD_SECRET: 'bench-secret',
    });
  }

  /** Starts everything (the first `gateways` gateways) and resolves once every worker is linked to each. */
  async start(gateways = this.layout.gateways): Promise<void> {
    const { registers, workers } = this.layout;
    for (let r = 0; r < registers; r++) {
      this.registers.push(this.spawn(`register-${r}`, ['register', '--listen', this.registerAddress(r)]));
    }
    await Promise.all(this.registers.map((p) => p.waitFor('register listening')));
    for (let i = 0; i < gateways; i++) this.startGateway(i);
    await Promise.all(this.gateways.map((g) => g!.waitFor('gateway listening', 60_000)));
    for (let j = 0; j < workers; j++) this.startWorker(j);
    await Promise.all(
      this.workers.flatMap((w) =>
        Array.from({ length: gateways }, (_, i) => w.waitFor(`connected to gateway ${this.innerAddress(i)}`, 60_000)),
      ),
    );
  }

  startGateway(i: number): ServerProcess {
    const gateway = this.spawn(`gateway-${i}`, [
      'gateway',
      ...['--listen', `${this.layout.host}:${this.port(100 + i)}`, '--lan-ip', this.layout.host],
      ...['--inner-port', String(this.port(300 + i)), '--register', this.registerList],
      ...['--metrics-listen', `${this.layout.host}:${this.port(500 + i)}`],
      ...BENCH_GATEWAY_FLAGS,
      ...(this.layout.gatewayArgs ?? []),
    ]);
    this.gateways[i] = gateway;
    return gateway;
  }

  startWorker(j: number): ServerProcess {
    const worker = this.spawn(`worker-${j}`, [
      ...['business', '--events', APP, '--register', this.registerList, '--name', `bench-${j}`],
      ...['--metrics-listen', `${this.layout.host}:${this.port(700 + j)}`],
    ]);
    this.workers[j] = worker;
    return worker;
  }

  /** SIGKILL: the gateway vanishes the way a crashed host's would (its sockets are reset). */
  async killGateway(i: number): Promise<void> {
    const gateway = this.gateways[i];
    if (!gateway) return;
    gateway.proc.kill('SIGKILL');
    await gateway.exited;
    this.gateways[i] = null;
  }

  get all(): ServerProcess[] {
    return [...this.registers, ...this.gateways.filter((g): g is ServerProcess => g !== null), ...this.workers];
  }

  /** Workers first (they drain), then gateways, then registers. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop(10_000)));
    await Promise.all(this.gateways.map((g) => g?.stop(10_000)));
    await Promise.all(this.registers.map((r) => r.stop()));
  }
}

/** GET `url`: status and body (status 0 when the connection failed). */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** The value of an unlabelled metric in Prometheus text, or NaN. */
export async function scrapeMetric(base: string, name: string): Promise<number> {
  const { body } = await httpGet(`${base}/metrics`);
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** Sockets a process holds (listeners, links and client connections), from /proc/PID/fd. */
export function socketCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** Bytes a process read and wrote through system calls (sockets included), from /proc/PID/io. */
export function ioBytes(pid: number): { read: number; written: number } {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const value = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { read: value('rchar'), written: value('wchar') };
  } catch {
    return { read: 0, written: 0 };
  }
}

/** Samples the RSS of processes every `intervalMs` and keeps each one's peak. */
export class PeakRss {
  private readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly processes: () => { name: string; pid: number }[],
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  private sample(): void {
    for (const { name, pid } of this.processes()) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
        this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, kb * 1024));
      } catch {
        // gone meanwhile
      }
    }
  }

  stop(): Map<string, number> {
    clearInterval(this.timer);
    this.sample();
    return this.peaks;
  }
}

export const mb = (bytes: number) => Math.round(bytes / 1e6);
