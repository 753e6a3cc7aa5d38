import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.ts';
import type { Load, LoadCommand, LoadReply, LoadResult } from './load-protocol.ts';

const LOAD_PROCESS = fileURLToPath(new URL('./load-process.ts', import.meta.url));
/** How long a load process may take to answer a command other than `connect`. */
const REPLY_TIMEOUT_MS = 30_000;

/** Summed results of every load process. */
export interface PoolResult {
  sent: number;
  received: number;
  skipped: number;
  dropped: number;
  latency: Histogram;
  scheduledLatency: Histogram | null;
  /** RSS of each load process, bytes. */
  rss: number[];
}

interface Member {
  proc: ChildProcess;
  /** Clients it holds. */
  clients: number;
  waiter: { resolve: (r: LoadReply) => void; reject: (e: Error) => void } | null;
  exited: Promise<void>;
}

/**
 * The load generator: `size` load processes (load-process.ts) and the commands that drive them all at once.
 * Clients are numbered globally, so the uid `u<i>`, URL and source address of client i are the same whichever
 * process holds it.
 */
export class LoadPool {
  private readonly members: Member[] = [];
  private nextIndex = 0;
  /** Called when a load process has every one of its clients' copies of broadcast `id` (receive load). */
  onAck: (id: number) => void = () => {};

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const proc = fork(LOAD_PROCESS, [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      live.add(proc);
      const member: Member = {
        proc,
        clients: 0,
        waiter: null,
        exited: new Promise((resolve) => proc.once('exit', () => resolve())),
      };
      void member.exited.then(() => {
        live.delete(proc);
        member.waiter?.reject(new Error(`load process ${proc.pid} exited`));
        member.waiter = null;
      });
      proc.on('message', (reply: LoadReply) => {
        if (reply.op === 'ack') return this.onAck(reply.id);
        const waiter = member.waiter;
        member.waiter = null;
        if (reply.op === 'error') waiter?.reject(new Error(`load process ${proc.pid}: ${reply.message}`));
        else waiter?.resolve(reply);
      });
      this.members.push(member);
    }
  }

  get pids(): number[] {
    return this.members.map((m) => m.proc.pid ?? -1);
  }

  get size(): number {
    return this.members.length;
  }

  /** Load processes holding at least one client: each acks every broadcast once. */
  get busyProcesses(): number {
    return this.members.filter((m) => m.clients > 0).length;
  }

  /** Clients held now, over all processes. */
  get clients(): number {
    return this.members.reduce((n, m) => n + m.clients, 0);
  }

  private ask(member: Member, command: LoadCommand, timeoutMs = REPLY_TIMEOUT_MS): Promise<LoadReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        member.waiter = null;
        reject(new Error(`load process ${member.proc.pid} did not answer ${command.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      member.waiter = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      member.proc.send(command);
    });
  }

  /**
   * Opens `count` more clients, spread evenly over the processes (or over the first `spread` of them).
   * Returns how many opened and the first error, if any failed.
   */
  async connect(
    options: Omit<Extract<LoadCommand, { op: 'connect' }>, 'op' | 'firstIndex' | 'count'> & {
      count: number;
      /** Per process: the number of clients it gets; default an even share. */
      shares?: number[];
    },
  ): Promise<{ ok: number; failed: number; error: string | null }> {
    const { count, shares, ...rest } = options;
    const plan = shares ?? evenShares(count, this.members.length);
    const replies = await Promise.all(
      this.members.map((member, i) => {
        const share = plan[i] ?? 0;
        const firstIndex = this.nextIndex;
        this.nextIndex += share;
        if (share === 0) return Promise.resolve(null);
        // Connecting is bounded by its per-connection timeout; allow each lane its whole share of them.
        const timeoutMs = REPLY_TIMEOUT_MS + Math.ceil(share / Math.max(1, rest.concurrency)) * rest.timeoutMs;
        return this.ask(member, { op: 'connect', ...rest, firstIndex, count: share }, timeoutMs);
      }),
    );
    let ok = 0;
    let failed = 0;
    let error: string | null = null;
    replies.forEach((r, i) => {
      if (r?.op !== 'connected') return;
      ok += r.ok;
      failed += r.failed;
      error ??= r.error;
      this.members[i]!.clients = r.clients;
    });
    return { ok, failed, error };
  }

  /** Starts the load on every process holding clients. */
  async start(load: Load): Promise<void> {
    await this.all({ op: 'start', load });
  }

  /** Zeroes every counter: the measurement starts now. */
  async mark(): Promise<void> {
    await this.all({ op: 'mark' });
  }

  /** Stops the load and sums what every process counted since `mark`. */
  async stop(): Promise<PoolResult> {
    const replies = await this.all({ op: 'stop' });
    const out: PoolResult = {
      sent: 0,
      received: 0,
      skipped: 0,
      dropped: 0,
      latency: new Histogram(),
      scheduledLatency: null,
      rss: [],
    };
    for (const reply of replies) {
      if (reply.op !== 'result') continue;
      const r: LoadResult = reply.result;
      out.sent += r.sent;
      out.received += r.received;
      out.skipped += r.skipped;
      out.dropped += r.dropped;
      out.latency.merge(Histogram.fromJSON(r.latency));
      if (r.scheduledLatency) (out.scheduledLatency ??= new Histogram()).merge(Histogram.fromJSON(r.scheduledLatency));
      out.rss.push(r.rss);
    }
    return out;
  }

  private all(command: LoadCommand): Promise<LoadReply[]> {
    return Promise.all(this.members.filter((m) => m.clients > 0).map((m) => this.ask(m, command)));
  }

  /** Closes every client; the processes stay for the next server. */
  async reset(): Promise<void> {
    await this.all({ op: 'reset' });
    for (const member of this.members) member.clients = 0;
  }

  /** Closes every client and ends every load process (killed if it does not leave within a few seconds). */
  async close(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        const kill = setTimeout(() => member.proc.kill('SIGKILL'), 5000);
        if (member.proc.connected) member.proc.send({ op: 'close' } satisfies LoadCommand);
        else member.proc.kill('SIGKILL');
        await member.exited;
        clearTimeout(kill);
      }),
    );
  }
}

/** `count` split into `n` near-equal parts. */
export function evenShares(count: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(count / n) + (i < count % n ? 1 : 0));
}

const live = new Set<ChildProcess>();
// Last resort: no load process outlives the bench.
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});
