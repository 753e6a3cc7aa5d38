/**
 * `node --conditions=switchboard-source --import tsx bench/history.ts`: what keeping a message costs the sender,
 * in the store itself (MemoryHistory in this process), in the embedded history as senders use it (held by a
 * `switchboard register` it starts, over a link) and in a Redis it starts on a free loopback port: the latency
 * of one append (awaited one at a time) and the sender's CPU per append when 64 are in flight. Not part of
 * `npm run bench`'s table.
 */
import { cpuUsage } from 'node:process';
import type { HistoryStore } from '../history/history-store.ts';
import { MemoryHistory } from '../history/memory-history.ts';
import { RedisHistory } from '../history/redis-history.ts';
import { RegisterHistory } from '../history/register-history.ts';
import { parseHostPort } from '../shared/address.ts';
import { Link } from '../shared/link.ts';
import { createLogger } from '../shared/logger.ts';
import { RoleProcess } from '../test/helpers/processes.ts';
import { RedisServer } from '../test/helpers/redis.ts';

const N = Number(process.env.N ?? 20_000);
const DATA = JSON.stringify({ from: 'alice', text: 'x'.repeat(100) });

async function measure(name: string, store: HistoryStore): Promise<void> {
  for (let i = 0; i < 1000; i++) await store.append(`uid:warm${i % 10}`, DATA);
  const times: number[] = [];
  for (let i = 0; i < N / 4; i++) {
    const t = process.hrtime.bigint();
    await store.append(`uid:u${i % 1000}`, DATA);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  const cpu = cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < N) await store.append(`uid:u${next++ % 1000}`, DATA);
    }),
  );
  const used = cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const q = (p: number) => times[Math.floor(times.length * p)]!.toFixed(1);
  console.log(
    `${name.padEnd(8)} append p50 ${q(0.5)} µs, p99 ${q(0.99)} µs; ${Math.round(N / seconds)} appends/s with 64 in flight, ` +
      `sender CPU ${((used.user + used.system) / N) | 0} µs per append`,
  );
}

await measure('memory', new MemoryHistory(100, 300));
const register = new RoleProcess('register', ['register', '--listen', '127.0.0.1:0'], { SWITCHBOARD_SECRET: 'bench' });
try {
  const where = parseHostPort(String((await register.waitFor('register listening')).listen));
  const embedded = new RegisterHistory(`${where.host}:${where.port}`, 100, 300);
  const options = { secret: 'bench', log: createLogger({}, 'silent') };
  const link = await Link.connect(where, options, 'client', 'bench', (l) => {
    l.onMessage = (msg) => void embedded.receive(msg);
    embedded.attach(l);
  });
  await measure('register', embedded);
  link.close();
  await embedded.close();
} finally {
  await register.kill();
}
const redis = await RedisServer.start();
const store = new RedisHistory(RedisHistory.addressOf(redis.url), 100, 300);
try {
  await measure('redis', store);
} finally {
  await store.close();
  await redis.stop();
}
