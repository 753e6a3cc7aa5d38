import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Backoff } from '../shared/backoff.ts';
import type { Logger } from '../shared/logger.ts';

const BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));

/** One supervised role: its CLI arguments and the running process. */
interface Child {
  role: string;
  args: string[];
  process: ChildProcess | null;
  backoff: Backoff;
  startedAt: number;
}

/** A child that ran this long before dying is restarted at once; one that keeps dying waits longer each time. */
const HEALTHY_AFTER_MS = 10_000;

/**
 * Runs register, gateway and business worker as child processes (`switchboard start`), restarts any that
 * crashes, and stops them in order on SIGINT/SIGTERM: workers first, then gateways, then the register.
 */
export class Supervisor {
  private readonly children: Child[];
  private stopping = false;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    roles: { role: string; args: string[] }[],
    secrets: { secret?: string; apiToken?: string },
    private readonly log: Logger,
  ) {
    // Secrets travel in the environment, not in argv where `ps` would show them.
    this.env = {
      ...process.env,
      SWITCHBOARD_SECRET: secrets.secret || process.env.SWITCHBOARD_SECRET || randomBytes(24).toString('hex'),
    };
    if (secrets.apiToken) this.env.SWITCHBOARD_API_TOKEN = secrets.apiToken;
    this.children = roles.map(({ role, args }) => ({
      role,
      args,
      process: null,
      backoff: new Backoff(500, 10_000),
      startedAt: 0,
    }));
  }

  start(): void {
    for (const child of this.children) this.spawn(child);
    const stop = () => void this.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }

  /** Pids by role, for tools and tests. */
  get pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.children.map((c) => [c.role, c.process?.pid]));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      const proc = child.process;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
  }

  private spawn(child: Child): void {
    const proc = spawn(process.execPath, [BIN, child.role, ...child.args], { env: this.env, stdio: 'inherit' });
    child.process = proc;
    child.startedAt = Date.now();
    proc.once('exit', (code, signal) => {
      child.process = null;
      if (this.stopping) return;
      if (Date.now() - child.startedAt > HEALTHY_AFTER_MS) child.backoff.reset();
      const delay = child.backoff.next();
      this.log.error(`${child.role} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`, {
        child: child.role,
      });
      setTimeout(() => {
        if (!this.stopping) this.spawn(child);
      }, delay);
    });
  }
}
