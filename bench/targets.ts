import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Transport } from './load-client.ts';
import { ServerProcess } from './server-process.ts';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const SWITCHBOARD_BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));
const APP = join(BENCH, 'switchboard-app.ts');

/**
 * Servers the bench starts itself: over WebSocket, Switchboard beside raw `ws` and Socket.IO; over TCP (the
 * text protocol), a `switchboard gateway --protocol text` beside a raw `net` server.
 */
export type ServerKind = 'switchboard' | 'ws' | 'socketio' | 'switchboard-tcp' | 'net';
export const SERVER_KINDS: readonly ServerKind[] = ['ws', 'socketio', 'switchboard', 'net', 'switchboard-tcp'];

/** Whether a server speaks TCP (its ceiling is `net`) rather than WebSocket (its ceiling is `ws`). */
export const isTcp = (kind: TargetKind) => kind === 'net' || kind === 'switchboard-tcp';
/** Those, or a server someone else runs, given by URL. */
export type TargetKind = ServerKind | 'external';

/** A server under test, running. */
export interface Target {
  kind: TargetKind;
  /** For tables: `switchboard 1g/1w`, `ws`, `socket.io`, or the URL of an external server. */
  label: string;
  /** Which client library speaks to it. */
  transport: Transport;
  /** WebSocket (or `tcp://`) URLs clients spread over (one per gateway). */
  urls: string[];
  /** Every server process, for CPU accounting. */
  processes: { role: string; pid: number }[];
  /** The processes that hold client sockets, for memory per connection. */
  socketHolders: number[];
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** Loopback address the target listens on (every port is picked by the system). */
  host: string;
  /** Switchboard gateway and worker processes. @default 1 and 1 */
  gateways?: number;
  workers?: number;
  /** How the workers route uid and group sends (`switchboard business --routing`). @default 'directory' */
  routing?: 'directory' | 'all';
  /** Switchboard with its default flags, limits included, instead of BENCH_GATEWAY_FLAGS. @default false */
  defaultFlags?: boolean;
  /** When set, Switchboard's processes run with `--cpu-prof` and write profiles into DIR/ROLE/. */
  profileDir?: string;
  /** `--history` of the gateways and workers (`memory` or `redis://HOST:PORT`). @default their default */
  history?: string;
  /** The bench app sends `touid:` with `keep: true`. @default false */
  keep?: boolean;
}

/**
 * Gateway flags for the bench ("limits off"): the connection limits off, and no message rate. The defaults cut
 * no client off for sending fast any more; the pipelined scenario also runs a Switchboard with its default
 * flags (`defaultFlags`) to show it.
 */
export const BENCH_GATEWAY_FLAGS = [
  '--max-messages-per-second',
  '0',
  '--max-connections-per-ip',
  '0',
  '--max-connections',
  '0',
] as const;

export async function startTarget(kind: ServerKind, options: TargetOptions): Promise<Target> {
  switch (kind) {
    case 'ws':
      return startSingle('ws', 'ws', join(BENCH, 'ws-server.ts'), options.host);
    case 'socketio':
      return startSingle('socketio', 'socket.io', join(BENCH, 'socketio-server.ts'), options.host);
    case 'net':
      return startSingle('net', 'net', join(BENCH, 'net-server.ts'), options.host);
    case 'switchboard':
      return startSwitchboard(options);
    case 'switchboard-tcp':
      return startSwitchboard(options, 'text');
  }
}

async function startSingle(kind: ServerKind, label: string, script: string, host: string): Promise<Target> {
  const server = new ServerProcess(label, ['--import', 'tsx', script, '--listen', `${host}:0`]);
  try {
    const ready = await server.waitFor('bench server ready');
    return {
      kind,
      label,
      transport: kind === 'socketio' ? 'socketio' : kind === 'net' ? 'tcp' : 'ws',
      urls: [`${kind === 'net' ? 'tcp' : 'ws'}://${host}:${Number(ready.port)}`],
      processes: [{ role: label, pid: server.pid }],
      socketHolders: [server.pid],
      stop: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * Register, gateways and business workers as separate processes, started with the same CLI a deployment uses
 * (`switchboard register|gateway|business`) rather than `switchboard start`, so that each can run under its
 * own `--cpu-prof` and every process's CPU is read on its own.
 */
async function startSwitchboard(options: TargetOptions, protocol?: 'text'): Promise<Target> {
  const { host } = options;
  const gateways = options.gateways ?? 1;
  const workers = options.workers ?? 1;
  const env = { SWITCHBOARD_SECRET: 'bench-secret' };
  const all: ServerProcess[] = [];
  const history = options.history ? ['--history', options.history] : [];
  const role = (name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    // One folder per role: each thread (the main one, tsx's loader thread) writes its own profile there.
    const prof = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(options.profileDir, name)] : [];
    const p = new ServerProcess(name, [...prof, SWITCHBOARD_BIN, ...args, '--log-level', 'info'], {
      ...env,
      ...extraEnv,
    });
    all.push(p);
    return p;
  };
  const stop = async () => {
    // Workers first (they drain), then gateways, then the register, as `switchboard stop` does.
    for (const prefix of ['worker', 'gateway', 'register']) {
      await Promise.all(all.filter((p) => p.name.startsWith(prefix)).map((p) => p.stop(10_000)));
    }
  };
  try {
    const register = role('register', ['register', '--listen', `${host}:0`]);
    const registerAddress = String((await register.waitFor('register listening')).listen);
    const gatewayProcs: ServerProcess[] = [];
    const urls: string[] = [];
    const inner: string[] = [];
    for (let i = 0; i < gateways; i++) {
      gatewayProcs.push(
        role(`gateway-${i}`, [
          'gateway',
          ...['--listen', `${host}:0`, '--lan-ip', host, '--inner-port', '0', '--register', registerAddress],
          ...(options.defaultFlags ? [] : BENCH_GATEWAY_FLAGS),
          ...(protocol ? ['--protocol', protocol] : []),
          ...history,
        ]),
      );
    }
    for (const g of gatewayProcs) {
      const line = await g.waitFor('gateway listening');
      urls.push(`${protocol ? 'tcp' : 'ws'}://${String(line.listen)}`);
      inner.push(String(line.inner));
      await g.waitFor('connected to register');
    }
    const workerProcs: ServerProcess[] = [];
    for (let i = 0; i < workers; i++) {
      workerProcs.push(
        role(
          `worker-${i}`,
          [
            ...['business', '--events', APP, '--register', registerAddress, '--name', `bench-${i}`],
            ...(options.routing ? ['--routing', options.routing] : []),
            ...history,
          ],
          options.keep ? { BENCH_KEEP: '1' } : {},
        ),
      );
    }
    for (const w of workerProcs) for (const address of inner) await w.waitFor(`connected to gateway ${address}`);
    return {
      kind: protocol ? 'switchboard-tcp' : 'switchboard',
      label: `switchboard${protocol ? ` ${protocol}` : ''} ${gateways}g/${workers}w${options.routing ? ` ${options.routing}` : ''}${options.defaultFlags ? ' default flags' : ''}${options.keep ? ` kept ${options.history?.startsWith('redis') ? 'redis' : 'memory'}` : ''}`,
      transport: protocol ? 'tcp' : 'ws',
      urls,
      processes: all.map((p) => ({ role: p.name, pid: p.pid })),
      socketHolders: gatewayProcs.map((p) => p.pid),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A server the bench does not start: any WebSocket URL(s) speaking the protocol in protocol.ts. CPU and memory
 * are read for `pids` when given (the processes that serve those URLs), else not at all.
 */
export function externalTarget(urls: string[], pids: number[]): Target {
  const label = urls.map((u) => u.replace(/^wss?:\/\//, '')).join(',');
  return {
    kind: 'external',
    label,
    transport: 'ws',
    urls,
    processes: pids.map((pid) => ({ role: `pid ${pid}`, pid })),
    socketHolders: pids,
    stop: async () => {},
  };
}
