import { cpuSeconds, cpuTimes, machineCpu } from './proc-stats.ts';

/** What the machine's CPUs did during a measurement window. */
export interface CpuUsage {
  seconds: number;
  /** CPU seconds of each server process, by role. */
  server: Record<string, number>;
  serverTotal: number;
  /** The part of serverTotal spent in the kernel (socket reads and writes, mostly). */
  serverSystem: number;
  /** CPU seconds of the load generator processes. */
  generator: number;
  /** Busy CPU seconds of everything else on the machine (other people's work): the noise. */
  other: number;
  /** Cores the machine has, times `seconds`. */
  capacity: number;
}

/**
 * Measures CPU from /proc between `start()` and `stop()`: every server process, the load generators, and the
 * rest of the machine, so a result can say how much of the machine other work took meanwhile.
 */
export class CpuWindow {
  private readonly startedAt = performance.now();
  private readonly machine = machineCpu();
  private readonly server: Map<string, number>;
  private readonly system: number;
  private readonly generator: number;

  constructor(
    private readonly servers: { role: string; pid: number }[],
    private readonly generators: number[],
  ) {
    this.server = new Map(servers.map((s) => [s.role, cpuSeconds(s.pid)]));
    this.system = sum(servers.map((s) => cpuTimes(s.pid).system));
    this.generator = sum(generators.map(cpuSeconds)) + selfCpu();
  }

  stop(): CpuUsage {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const server: Record<string, number> = {};
    for (const s of this.servers) server[s.role] = round3(cpuSeconds(s.pid) - this.server.get(s.role)!);
    const serverTotal = sum(Object.values(server));
    const generator = sum(this.generators.map(cpuSeconds)) + selfCpu() - this.generator;
    const machine = machineCpu();
    const busy = machine.busy - this.machine.busy;
    const total = machine.total - this.machine.total;
    return {
      seconds: round3(seconds),
      server,
      serverTotal: round3(serverTotal),
      serverSystem: round3(sum(this.servers.map((s) => cpuTimes(s.pid).system)) - this.system),
      generator: round3(generator),
      other: round3(Math.max(0, busy - serverTotal - generator)),
      capacity: round3(total),
    };
  }
}

function selfCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
const round3 = (x: number) => Math.round(x * 1000) / 1000;
