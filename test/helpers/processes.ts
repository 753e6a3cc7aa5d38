import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isIpcMessage, type ChildStats } from '../../cli/child-ipc.ts';
import { until, type UntilOptions } from './wait.ts';

export const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export type LogLine = Record<string, unknown> & { msg?: string; level?: string; code?: string };

export interface RoleProcessOptions {
  /**
   * Open the IPC channel a supervisor gives its children: the role then says when it is ready (`ready()`) and
   * answers stats requests (`stats()`). Only for the roles (register, gateway, business, api): a command that
   * does not answer on the channel would be kept alive by it.
   */
  ipc?: boolean;
  /** Another `switchboard` program to run (an installed package's), instead of the repository's. */
  program?: string;
  /** The folder to run it in. */
  cwd?: string;
}

/** A real `switchboard` process, with its JSON log lines collected for assertions. */
export class RoleProcess {
  readonly proc: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Non-JSON stderr/stdout output (startup errors). */
  raw = '';
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;
  private readonly readyReported: Promise<void> | null = null;
  private readonly statsWaiters = new Map<number, (stats: ChildStats) => void>();
  private nextStatsId = 1;

  /**
   * @param wrap a command that runs the process, e.g. `['ip', 'netns', 'exec', 'ns1']`; it must exec the
   *   program in place (same pid) so signals reach it.
   */
  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    wrap: readonly string[] = [],
    { ipc = false, program = BIN, cwd }: RoleProcessOptions = {},
  ) {
    const command = [...wrap, process.execPath, program, ...args];
    this.proc = spawn(command[0]!, command.slice(1), {
      cwd,
      env: { ...process.env, SWITCHBOARD_SECRET: '', ...env },
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => running.delete(this));
    if (ipc) {
      // The channel must not keep the test runner alive: the process is killed in after() anyway.
      this.proc.channel?.unref();
      this.readyReported = new Promise((resolve, reject) => {
        this.proc.on('message', (msg: unknown) => {
          if (!isIpcMessage(msg)) return;
          if (msg.sb === 'ready') resolve();
          if (msg.sb === 'stats-reply') this.statsWaiters.get(msg.id)?.(msg.stats);
        });
        void this.exited.then((code) =>
          reject(new Error(`${this.name} exited (${code}) before it was ready\n${this.dump()}`)),
        );
      });
      this.readyReported.catch(() => {});
    }
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          this.raw += text + '\n';
          continue;
        }
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
      }
    };
    this.proc.stderr!.on('data', onData);
    this.proc.stdout!.on('data', onData);
  }

  /** Resolves with the first log line (past or future) whose message contains `text` and passes `test`. */
  waitFor(text: string, timeoutMs = 10_000, test: (l: LogLine) => boolean = () => true): Promise<LogLine> {
    return this.waitForLine(`with "${text}"`, (l) => String(l.msg ?? '').includes(text) && test(l), timeoutMs);
  }

  /**
   * Resolves with the first log line (past or future) carrying error code `code` (`SB_...`) and passing `test`:
   * for tests whose subject is that the process logs a coded reason.
   */
  waitForCode(code: string, timeoutMs = 10_000, test: (l: LogLine) => boolean = () => true): Promise<LogLine> {
    return this.waitForLine(`with code ${code}`, (l) => l.code === code && test(l), timeoutMs);
  }

  /** Resolves with the first log line (past or future) passing `match`; `what` describes it in the timeout. */
  waitForLine(what: string, match: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no log line ${what} within ${timeoutMs} ms\n${this.dump()}`)),
        timeoutMs,
      );
      this.waiters.push({
        test: match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** Resolves once the role said over IPC that it is ready (see RoleProcessOptions.ipc). */
  async ready(timeoutMs = 20_000): Promise<void> {
    if (!this.readyReported) throw new Error(`${this.name} was started without ipc: it cannot say it is ready`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.readyReported,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${this.name}: not ready within ${timeoutMs} ms\n${this.dump()}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The role's figures, asked over IPC as `switchboard status` asks them: a register's `gateways`, a gateway's
   * `connections` and `workers`, a worker's linked `gateways` (see each role's `stats()`).
   */
  stats(timeoutMs = 2000): Promise<ChildStats> {
    if (!this.readyReported) return Promise.reject(new Error(`${this.name} was started without ipc`));
    if (!this.proc.connected) return Promise.reject(new Error(`${this.name} has no IPC channel (exited?)`));
    const id = this.nextStatsId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.statsWaiters.delete(id);
        reject(new Error(`${this.name}: no stats within ${timeoutMs} ms`));
      }, timeoutMs);
      this.statsWaiters.set(id, (stats) => {
        clearTimeout(timer);
        this.statsWaiters.delete(id);
        resolve(stats);
      });
      this.proc.send({ sb: 'stats', id }, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.statsWaiters.delete(id);
        reject(err);
      });
    });
  }

  /** Asks `stats()` until `test` passes (bounded in time and count) and resolves with those figures. */
  untilStats(test: (stats: ChildStats) => boolean, options: UntilOptions = {}): Promise<ChildStats> {
    return until(`${this.name} stats`, () => this.stats(), test, options);
  }

  /** Log lines whose message contains `text`. */
  logged(text: string): LogLine[] {
    return this.lines.filter((l) => String(l.msg ?? '').includes(text));
  }

  dump(): string {
    return this.raw + this.lines.map((l) => JSON.stringify(l)).join('\n');
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

const running = new Set<RoleProcess>();

/** Kills every process the tests started; called from `after()` in each file. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
}

/** Other programs a test runs (redis-server), killed with the roles if the test file dies before its after(). */
const helpers = new Set<ChildProcess>();

export function killWhenTestsExit(child: ChildProcess): void {
  helpers.add(child);
  child.once('exit', () => helpers.delete(child));
}

// Last resort if a test file dies before its after(): no stray process survives the runner.
process.on('exit', () => {
  for (const p of running) p.proc.kill('SIGKILL');
  for (const child of helpers) child.kill('SIGKILL');
});
// The runner ends a file that outlives --test-timeout with SIGTERM, which by default skips 'exit' handlers.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(1));
