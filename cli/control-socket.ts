import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The supervisor's local control socket: a Unix socket in a directory only the owner can enter (0700, the
 * socket itself 0600), so `switchboard status|reload|stop` on the same machine need no flags and no pid file,
 * and nobody else can drive them. One JSON request line, one JSON answer line.
 */

/** @default $TMPDIR/switchboard-UID/control.sock, or SWITCHBOARD_CONTROL */
export function defaultControlPath(): string {
  return (
    process.env.SWITCHBOARD_CONTROL || join(tmpdir(), `switchboard-${process.getuid?.() ?? 'user'}`, 'control.sock')
  );
}

export type ControlRequest = { cmd: 'status' } | { cmd: 'reload' } | { cmd: 'reload-tls' } | { cmd: 'stop' };
export type ControlAnswer = { ok: true; [key: string]: unknown } | { ok: false; error: string };

/** Sends one request; rejects with a message saying what to do when no supervisor answers. */
export function controlRequest(path: string, request: ControlRequest, timeoutMs = 120_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the supervisor at ${path} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(
        new Error(
          missing
            ? `no running switchboard at ${path}: start one with "switchboard start", or pass the --control path it uses`
            : `cannot reach the supervisor at ${path}: ${err.message}`,
        ),
      );
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as ControlAnswer);
      } catch {
        reject(new Error(`the supervisor at ${path} closed without an answer`));
      }
    });
  });
}

/** Listens on `path`, refusing to take over a live supervisor's socket; a stale one is replaced. */
export async function listenControl(
  path: string,
  handle: (req: ControlRequest) => Promise<ControlAnswer>,
): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const alive = await controlRequest(path, { cmd: 'status' }, 2000).then(
    () => true,
    () => false,
  );
  if (alive) {
    throw new Error(
      `a switchboard is already running with control socket ${path}: "switchboard stop" it, or pass --control`,
    );
  }
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) {
        if (buffer.length > 4096) socket.destroy();
        return;
      }
      let request: ControlRequest;
      try {
        request = JSON.parse(buffer.slice(0, nl)) as ControlRequest;
      } catch {
        socket.end(JSON.stringify({ ok: false, error: 'send one JSON line like {"cmd":"status"}' }) + '\n');
        return;
      }
      handle(request).then(
        (answer) => socket.end(JSON.stringify(answer) + '\n'),
        (err: Error) => socket.end(JSON.stringify({ ok: false, error: err.message }) + '\n'),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}
