import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A real `switchboard` process, with its JSON log lines collected for assertions. */
export class RoleProcess {
  readonly proc: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Non-JSON stderr/stdout output (startup errors). */
  raw = '';
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  /**
   * @param wrap a command that runs the process, e.g. `['ip', 'netns', 'exec', 'ns1']`; it must exec the
   *   program in place (same pid) so signals reach it.
   * @param where another `switchboard` program (an installed package's) and the folder to run it in.
   */
  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    wrap: readonly string[] = [],
    where: { program?: string; cwd?: string } = {},
  ) {
    const command = [...wrap, process.execPath, where.program ?? BIN, ...args];
    this.proc = spawn(command[0]!, command.slice(1), {
      cwd: where.cwd,
      env: { ...process.env, SWITCHBOARD_SECRET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => running.delete(this));
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
    const match = (l: LogLine) => String(l.msg ?? '').includes(text) && test(l);
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no log line with "${text}" within ${timeoutMs} ms\n${this.dump()}`)),
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

// Last resort if a test file dies before its after(): no stray process survives the runner.
process.on('exit', () => {
  for (const p of running) p.proc.kill('SIGKILL');
});
