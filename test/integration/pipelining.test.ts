// Clients that pipeline: many events of one client in flight to its worker at once (--max-events-in-flight,
// default 16). Each handler counts in the session, two in three after awaiting a random time and one in three
// at once (a handler that returns no promise), so the replies show whether the worker kept the client's order
// and handed each event the session the previous one left, across reloads and a worker killed with SIGKILL.
// Real processes (`switchboard start`), real WebSocket clients.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { field } from '../helpers/inbox.ts';
import { metricValue, scrape } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { controlCommand, startApiApp } from '../helpers/switchboard-start.ts';

const HOST = '127.0.0.58';
const CONTROL = join(tmpdir(), `sb-pipelining-test-${process.pid}.sock`);
const WINDOW = 16;
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Reply = { seq: number; count: number; worker: number };
const isReply = (m: unknown) => typeof field(m, 'seq') === 'number';
const repliesOf = (c: TestClient) => c.received.filter((m) => isReply(m.data)).map((m) => m.data as Reply);

const control = (...args: string[]) => controlCommand(CONTROL, args);
const workerPids = async () =>
  (JSON.parse(await control('status', '--json')) as Record<string, any>[])
    .filter((p) => p.role === 'business')
    .map((p) => p.pid as number | null);

/**
 * Sends `total` messages from each client, keeping up to 32 unanswered (twice the window: more than the
 * gateway sends at once, well within --max-pending-events), topped up every few ms.
 */
async function pipeline(streamers: TestClient[], total: number, progress: { sent: number[]; stop?: boolean }) {
  progress.sent = streamers.map(() => 0);
  const sent = progress.sent;
  while (!progress.stop && sent.some((n) => n < total)) {
    streamers.forEach((s, i) => {
      const answered = repliesOf(s).length;
      while (sent[i]! < total && sent[i]! - answered < 32)
        s.send(sent[i]! % 3 === 0 ? { seq: sent[i]!++, sync: true } : { seq: sent[i]!++ });
    });
    await sleep(3);
  }
}
const least = (progress: { sent: number[] }) => Math.min(...progress.sent);

describe('pipelining clients', () => {
  before(async () => {
    await startApiApp(HOST, { gateways: 1, workers: 2, control: CONTROL });
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('keeps order and session across reloads: every message handled once, in order, nobody dropped', async () => {
    const streamers = await Promise.all(Array.from({ length: 8 }, () => TestClient.connect(`ws://${HOST}:7272`)));
    clients.push(...streamers);
    const progress: { sent: number[]; stop?: boolean } = { sent: [] };
    const stream = pipeline(streamers, 100_000, progress);
    for (let i = 0; i < 2; i++) assert.match(await control('reload'), /2 business worker\(s\) replaced/);
    // A few more rounds after the last reload.
    const more = least(progress) + 100;
    await until(
      'more sent',
      () => least(progress),
      (n) => n >= more,
    );
    progress.stop = true;
    await stream;
    for (const [i, s] of streamers.entries()) {
      const total = progress.sent[i]!;
      const last = (await s.next((m) => field(m, 'seq') === total - 1, 20_000)) as Reply;
      assert.equal(s.closeCode, null, 'no client was disconnected');
      const replies = [...repliesOf(s), last];
      assert.equal(replies.length, total, 'every message handled exactly once');
      replies.forEach((r, i) => assert.deepEqual([r.seq, r.count], [i, i + 1], 'in order, session carried over'));
      assert.ok(new Set(replies.map((r) => r.worker)).size >= 2, 'the client moved to a new worker');
      s.received.length = 0;
    }
  });

  it('a worker killed mid-stream loses at most the in-flight events of each client, counted', async () => {
    const streamers = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect(`ws://${HOST}:7272`)));
    clients.push(...streamers);
    const gatewayMetrics = `http://${HOST}:9400/metrics`;
    const lostBefore = metricValue(await scrape(gatewayMetrics), 'switchboard_gateway_lost_events_total') ?? 0;
    const [victim] = await workerPids();
    const progress = { sent: [] as number[] };
    const total = 600;
    const stream = pipeline(streamers, total, progress);
    await until(
      'a third sent',
      () => least(progress),
      (n) => n >= total / 3,
    );
    process.kill(victim!, 'SIGKILL');
    await stream;
    let missing = 0;
    for (const s of streamers) {
      const last = (await s.next((m) => field(m, 'seq') === total - 1, 20_000)) as Reply;
      assert.equal(s.closeCode, null, 'no client was disconnected');
      const seqs = [...repliesOf(s), last].map((r) => r.seq);
      for (let i = 1; i < seqs.length; i++)
        assert.ok(seqs[i]! > seqs[i - 1]!, `in order, once: ${seqs[i - 1]}, ${seqs[i]}`);
      assert.ok(total - seqs.length <= WINDOW, `${total - seqs.length} lost, more than the window`);
      missing += total - seqs.length;
    }
    const lost = (metricValue(await scrape(gatewayMetrics), 'switchboard_gateway_lost_events_total') ?? 0) - lostBefore;
    // An event can be lost after its handler replied (its done never left the worker): lost counts those too.
    assert.ok(lost >= missing && lost <= WINDOW * streamers.length, `lost ${lost}, missing replies ${missing}`);
  });
});
