import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { killWhenTestsExit } from './processes.ts';

/** A free loopback TCP port (the OS picks it, then it is given back). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian's `redis-server` on a loopback port, with no persistence (nothing is written to disk), for the tests of
 * the Redis history. `stop()` ends it; `restart()` stops it and starts a new one on the same port.
 */
export class RedisServer {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  /** The redis-server process, for reading its CPU time; undefined while stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `redis://127.0.0.1:PORT`, as `--history` takes it. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.spawn();
    return server;
  }

  private spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    killWhenTestsExit(child);
    this.child = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          err.code === 'ENOENT'
            ? new Error('redis-server is missing: apt-get install redis-server (test/setup.sh does it)')
            : err,
        );
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }
}
