import { spawn, type ChildProcess } from 'node:child_process';

/** A parsed stdout/stderr line of a server process: JSON when it was JSON, else `{ msg: text }`. */
export type ServerLine = Record<string, unknown> & { msg?: string };

/** Keeps this many recent lines, for error messages; older ones are dropped so a chatty server costs nothing. */
const KEEP_LINES = 200;

/**
 * One server process the bench started (a bench server or a Switchboard role). Every instance is killed when
 * the bench exits, however it exits.
 */
export class ServerProcess {
  readonly proc: ChildProcess;
  readonly lines: ServerLine[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { test: (l: ServerLine) => boolean; resolve: (l: ServerLine) => void }[] = [];

  constructor(
    readonly name: string,
    nodeArgs: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.proc = spawn(process.execPath, nodeArgs, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => live.delete(this));
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.line(text);
      }
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  private line(text: string): void {
    let line: ServerLine;
    try {
      const parsed: unknown = JSON.parse(text);
      line = typeof parsed === 'object' && parsed !== null ? (parsed as ServerLine) : { msg: text };
    } catch {
      line = { msg: text };
    }
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.shift();
    this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
  }

  /** The first line (seen or to come) whose message contains `text`; rejects after `timeoutMs` or on exit. */
  waitFor(text: string, timeoutMs = 15_000): Promise<ServerLine> {
    const test = (l: ServerLine) => String(l.msg ?? '').includes(text);
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${this.name}: ${why} while waiting for "${text}"\n${this.tail()}`));
      };
      const timer = setTimeout(() => fail(`nothing within ${timeoutMs} ms`), timeoutMs);
      void this.exited.then((code) => fail(`exited with ${code}`));
      this.waiters.push({
        test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** The last lines it printed, for error messages. */
  tail(n = 20): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  /** SIGTERM (so a profile can be written), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

const live = new Set<ServerProcess>();

/** Stops every server process still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

// Last resort: whatever happens to the bench, no server outlives it.
process.on('exit', () => {
  for (const p of live) p.proc.kill('SIGKILL');
});
