import { RoleProcess, FIXTURES } from './processes.ts';

export interface ClusterLayout {
  /** Loopback address of this test file, so files can run side by side. */
  host: string;
  gateways: number;
  workers: number;
  events?: string;
  secret?: string;
  /** Extra gateway flags. */
  gatewayArgs?: string[];
  /** Extra register flags. */
  registerArgs?: string[];
  /** Extra worker flags. */
  workerArgs?: string[];
}

/** A real cluster: 1 register, N gateways, M workers, all as separate processes on `host`. */
export class Cluster {
  register!: RoleProcess;
  readonly gateways: RoleProcess[] = [];
  readonly workers: RoleProcess[] = [];
  readonly registerAddress: string;

  constructor(readonly layout: ClusterLayout) {
    this.registerAddress = `${layout.host}:1236`;
  }

  wsUrl(gateway: number, path = '/'): string {
    return `ws://${this.layout.host}:${7272 + gateway}${path}`;
  }

  /** The Prometheus metrics a gateway serves on its public port. */
  metricsUrl(gateway: number): string {
    return `http://${this.layout.host}:${7272 + gateway}/metrics`;
  }

  innerAddress(gateway: number): string {
    return `${this.layout.host}:${2900 + gateway}`;
  }

  get env() {
    return { SWITCHBOARD_SECRET: this.layout.secret ?? 'test-secret' };
  }

  startRegister(): RoleProcess {
    this.register = new RoleProcess(
      'register',
      ['register', '--listen', this.registerAddress, ...(this.layout.registerArgs ?? [])],
      this.env,
      [],
      { ipc: true },
    );
    return this.register;
  }

  startGateway(i: number): RoleProcess {
    const gateway = new RoleProcess(
      `gateway${i}`,
      [
        'gateway',
        '--listen',
        `${this.layout.host}:${7272 + i}`,
        '--lan-ip',
        this.layout.host,
        '--inner-port',
        String(2900 + i),
        '--register',
        this.registerAddress,
        ...(this.layout.gatewayArgs ?? []),
      ],
      this.env,
      [],
      { ipc: true },
    );
    this.gateways[i] = gateway;
    return gateway;
  }

  startWorker(i: number, extraEnv: NodeJS.ProcessEnv = {}): RoleProcess {
    const worker = new RoleProcess(
      `worker${i}`,
      [
        'business',
        '--events',
        this.layout.events ?? `${FIXTURES}api-app.ts`,
        '--register',
        this.registerAddress,
        '--name',
        `w${i}`,
        ...(this.layout.workerArgs ?? []),
      ],
      { ...this.env, ...extraEnv },
      [],
      { ipc: true },
    );
    this.workers[i] = worker;
    return worker;
  }

  /** A worker is ready when it has links to every gateway (its own count, asked over IPC). */
  async workerReady(worker: RoleProcess, timeoutMs = 20_000): Promise<void> {
    await worker.untilStats((s) => s.gateways === this.layout.gateways, { timeoutMs });
  }

  /** Resolves once the register lists `count` gateways (every gateway of the layout by default). */
  async registerKnows(count = this.layout.gateways, timeoutMs = 20_000): Promise<void> {
    await this.register.untilStats((s) => s.gateways === count, { timeoutMs });
  }

  async start(): Promise<this> {
    this.startRegister();
    await this.register.ready();
    for (let g = 0; g < this.layout.gateways; g++) this.startGateway(g);
    await this.registerKnows();
    for (let w = 0; w < this.layout.workers; w++) this.startWorker(w);
    for (const worker of this.workers) await this.workerReady(worker);
    return this;
  }
}
