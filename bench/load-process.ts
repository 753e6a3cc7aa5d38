/**
 * A load-generator process: holds a share of the clients and runs the load the coordinator (load-pool.ts)
 * asks for over IPC. Several run side by side so the generator is not one event loop, and so that each
 * stays under the per-process open-file limit.
 */
import { Histogram } from './histogram.ts';
import { connectClient, type LoadClient } from './load-client.ts';
import { nowMicros, type Load, type LoadCommand, type LoadReply } from './load-protocol.ts';
import { OK } from './protocol.ts';

/** Connecting stops after this many failures: the server (or this machine) has reached its limit. */
const MAX_CONNECT_FAILURES = 20;
/** Open loop: sends allowed in flight per client before further ones are skipped (and counted as skipped). */
const MAX_OUTSTANDING_PER_CLIENT = 50;

const clients: LoadClient[] = [];
/** Global index of each client (its uid is `u<index>` when it logged in). */
const indexes: number[] = [];
let counters = freshCounters();
let active = false;
let stopLoad: () => void = () => {};
let load: Load | null = null;

function freshCounters() {
  return {
    sent: 0,
    received: 0,
    skipped: 0,
    dropped: 0,
    latency: new Histogram(),
    scheduled: null as Histogram | null,
  };
}

function reply(message: LoadReply): void {
  process.send?.(message);
}

process.on('message', (command: LoadCommand) => {
  handle(command).catch((err: Error) => reply({ op: 'error', message: err.message }));
});
// The coordinator is gone: nothing left to do.
process.on('disconnect', () => process.exit(0));

async function handle(command: LoadCommand): Promise<void> {
  switch (command.op) {
    case 'connect':
      return reply(await connectMany(command));
    case 'start':
      counters = freshCounters();
      active = true;
      load = command.load;
      stopLoad = startLoad(command.load);
      return reply({ op: 'started' });
    case 'mark':
      counters = freshCounters();
      if (load?.kind === 'echo' && load.ratePerSec !== null) counters.scheduled = new Histogram();
      return reply({ op: 'marked' });
    case 'stop': {
      active = false;
      stopLoad();
      stopLoad = stopNothing;
      load = null;
      const { sent, received, skipped, dropped, latency, scheduled } = counters;
      const result = { sent, received, skipped, dropped, latency: latency.toJSON(), rss: process.memoryUsage.rss() };
      return reply({ op: 'result', result: { ...result, scheduledLatency: scheduled?.toJSON() ?? null } });
    }
    case 'reset':
      closeAll();
      return reply({ op: 'reset' });
    case 'close':
      closeAll();
      reply({ op: 'closed' });
      setTimeout(() => process.exit(0), 100);
      return;
  }
}

const stopNothing = () => {};

function closeAll(): void {
  for (const client of clients) {
    client.onClose = ignore;
    client.onText = ignore;
    client.close();
  }
  clients.length = 0;
  indexes.length = 0;
}

async function connectMany(command: Extract<LoadCommand, { op: 'connect' }>): Promise<LoadReply> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let error: string | null = null;
  const request = (client: LoadClient, text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${OK}" for ${text} within ${command.timeoutMs} ms`)),
        command.timeoutMs,
      );
      client.onText = (reply) => {
        if (reply !== OK) return;
        clearTimeout(timer);
        client.onText = ignore;
        resolve();
      };
      client.send(text);
    });
  const lane = async () => {
    while (next < command.count && failed < MAX_CONNECT_FAILURES) {
      const index = command.firstIndex + next++;
      const url = command.urls[index % command.urls.length]!;
      const from = command.localAddresses[index % command.localAddresses.length]!;
      let client: LoadClient | null = null;
      try {
        client = await connectClient(command.transport, url, from, command.timeoutMs);
        client.onClose = () => counters.dropped++;
        if (command.login) await request(client, `login:u${index}`);
        if (command.join !== null) await request(client, `join:${command.join}`);
        clients.push(client);
        indexes.push(index);
        ok++;
      } catch (err) {
        // A client that opened but was not let in (no `ok`) is not kept half-way.
        if (client) {
          client.onClose = ignore;
          client.close();
        }
        failed++;
        error ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  return { op: 'connected', ok, failed, error, clients: clients.length };
}

const ignore = () => {};

/** Starts a load; returns how to stop it (sending stops, counting goes on until the result is taken). */
function startLoad(load: Load): () => void {
  switch (load.kind) {
    case 'echo':
      return load.ratePerSec === null ? closedEcho(load.window ?? 1) : openEcho(load.ratePerSec);
    case 'touid':
      return touid(load.senders, load.window);
    case 'receive':
      return receive();
  }
}

/** Each client keeps `window` `echo:<sent>` in flight. */
function closedEcho(window: number): () => void {
  for (const client of clients) {
    client.onText = (text) => {
      const now = nowMicros();
      counters.received++;
      counters.latency.record(now - Number(text.slice(5)));
      if (!active) return;
      client.send(`echo:${Math.round(now)}`);
      counters.sent++;
    };
    for (let w = 0; w < window; w++) {
      client.send(`echo:${Math.round(nowMicros())}`);
      counters.sent++;
    }
  }
  return stopNothing;
}

/** `echo:<sent>,<due>` at a fixed rate over all clients, whatever the replies do (open loop). */
function openEcho(ratePerSec: number): () => void {
  let outstanding = 0;
  for (const client of clients) {
    client.onText = (text) => {
      const now = nowMicros();
      const comma = text.indexOf(',');
      outstanding--;
      counters.received++;
      counters.latency.record(now - Number(text.slice(5, comma)));
      counters.scheduled?.record(now - Number(text.slice(comma + 1)));
    };
  }
  counters.scheduled = new Histogram();
  const limit = MAX_OUTSTANDING_PER_CLIENT * clients.length;
  const startedAt = nowMicros();
  let issued = 0;
  let turn = 0;
  const tick = () => {
    const now = nowMicros();
    const due = Math.floor(((now - startedAt) * ratePerSec) / 1e6);
    while (issued < due) {
      const dueAt = startedAt + (issued * 1e6) / ratePerSec;
      issued++;
      if (outstanding >= limit) {
        counters.skipped++;
        continue;
      }
      clients[turn++ % clients.length]!.send(`echo:${Math.round(now)},${Math.round(dueAt)}`);
      outstanding++;
      counters.sent++;
    }
  };
  const timer = setInterval(tick, 1);
  return () => clearInterval(timer);
}

/** Senders send `touid:u<j>:<sender>,<sent>` to this process's receivers in turn, `window` in flight each. */
function touid(senderCount: number, window: number): () => void {
  const senders = clients.slice(0, senderCount);
  const receivers = indexes.slice(senderCount).map((i) => `touid:u${i}:`);
  if (senders.length === 0 || receivers.length === 0) throw new Error('touid needs senders and receivers');
  let turn = 0;
  const sendFrom = (s: number) => {
    senders[s]!.send(`${receivers[turn++ % receivers.length]}${s},${Math.round(nowMicros())}`);
    counters.sent++;
  };
  for (const client of clients.slice(senderCount)) {
    client.onText = (text) => {
      const now = nowMicros();
      const comma = text.indexOf(',');
      counters.received++;
      counters.latency.record(now - Number(text.slice(comma + 1)));
      if (active) sendFrom(Number(text.slice(0, comma)));
    };
  }
  for (let s = 0; s < senders.length; s++) for (let w = 0; w < window; w++) sendFrom(s);
  return stopNothing;
}

/** Counts broadcasts `<id>,<sent>`; tells the coordinator when every client here has broadcast `id`. */
function receive(): () => void {
  const seen = new Map<number, number>();
  const everyone = clients.length;
  for (const client of clients) {
    client.onText = (text) => {
      const now = nowMicros();
      const comma = text.indexOf(',');
      if (comma < 0) return;
      const id = Number(text.slice(0, comma));
      counters.received++;
      counters.latency.record(now - Number(text.slice(comma + 1)));
      const n = (seen.get(id) ?? 0) + 1;
      if (n < everyone) seen.set(id, n);
      else {
        seen.delete(id);
        reply({ op: 'ack', id });
      }
    };
  }
  return stopNothing;
}
