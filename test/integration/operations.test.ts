// `switchboard start` with several gateways and workers, driven like an operator would: reload under load,
// a worker killed with SIGKILL, status, /metrics and stop.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { field } from '../helpers/inbox.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { BIN, killAll, RoleProcess } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { controlCommand, startApiApp } from '../helpers/switchboard-start.ts';

const HOST = '127.0.0.29';
const CONTROL = join(tmpdir(), `sb-ops-test-${process.pid}.sock`);
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Reply = { seq: number; count: number; worker: number };
const isReply = (m: unknown) => typeof field(m, 'seq') === 'number';

const control = (...args: string[]) => controlCommand(CONTROL, args);

const status = async () => JSON.parse(await control('status', '--json')) as Record<string, any>[];

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://${HOST}:${port}/metrics`)).text();
}

describe('operations', () => {
  let start: RoleProcess;

  before(async () => {
    // Up when both workers are linked to both gateways.
    start = await startApiApp(HOST, { gateways: 2, workers: 2, control: CONTROL });
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('reloads workers several times under load: every message handled once, in order, nobody dropped', async () => {
    const streamers = await Promise.all(Array.from({ length: 12 }, () => TestClient.connect(`ws://${HOST}:7272`)));
    clients.push(...streamers);
    let sending = true;
    let sent = 0;
    const stream = (async () => {
      while (sending && sent < 2000) {
        for (const s of streamers) s.send({ seq: sent });
        sent++;
        await sleep(8);
      }
    })();
    const pidsBefore = (await status()).filter((p) => p.role === 'business').map((p) => p.pid);
    for (let i = 0; i < 3; i++) assert.match(await control('reload'), /2 business worker\(s\) replaced/);
    // The stream goes on for a few more rounds after the last reload (it stops by itself at 2000).
    const last = Math.min(sent + 20, 2000);
    await until(
      'more rounds sent',
      () => sent,
      (n) => n >= last,
    );
    sending = false;
    await stream;
    const pidsAfter = (await status()).filter((p) => p.role === 'business').map((p) => p.pid);
    assert.equal(pidsAfter.filter((pid) => pidsBefore.includes(pid)).length, 0, 'every worker was replaced');

    for (const s of streamers) {
      await s.next((m) => field(m, 'seq') === sent - 1, 15_000);
      assert.equal(s.closeCode, null, 'no client was disconnected');
      const replies = s.received.filter((m) => isReply(m.data)).map((m) => m.data as Reply);
      replies.push({ seq: sent - 1, count: sent, worker: 0 });
      assert.equal(replies.length, sent, 'every message handled exactly once');
      replies.forEach((r, i) => assert.deepEqual([r.seq, r.count], [i, i + 1], 'in order, session carried over'));
      s.received.length = 0;
    }
  });

  it('replaces a worker killed with SIGKILL; its clients stay connected and are served', async () => {
    const client = await TestClient.connect(`ws://${HOST}:7272`);
    clients.push(client);
    const victims = (await status()).filter((p) => p.role === 'business');
    /** Resolves once both gateways route to the victim (`linked`), or no longer do: they saw its link close. */
    const routedToVictim = async (linked: boolean) => {
      for (const port of [9400, 9401]) {
        const url = `http://${HOST}:${port}/metrics`;
        const labels = { worker: `${victims[0]!.pid}@${hostname()}` };
        await waitForMetric(url, 'switchboard_gateway_events_routed_total', (n) => (n !== undefined) === linked, {
          labels,
        });
      }
    };
    await routedToVictim(true);
    for (let seq = 0; seq < 50; seq++) {
      client.send({ seq });
      if (seq === 20) process.kill(victims[0]!.pid, 'SIGKILL');
      await sleep(5);
    }
    await routedToVictim(false);
    client.send({ seq: 50 });
    await client.next((m) => field(m, 'seq') === 50, 10_000);
    assert.equal(client.closeCode, null);
    const businessPids = async () => (await status()).filter((p) => p.role === 'business').map((p) => p.pid);
    const isReplaced = (pids: unknown[]) => pids.every((pid) => pid !== null && pid !== victims[0]!.pid);
    const pids = await until('the worker replaced', businessPids, isReplaced, {
      timeoutMs: 15_000,
      intervalMs: 200,
    }).catch(() => [victims[0]!.pid]);
    assert.ok(isReplaced(pids), 'the supervisor started a new worker');
  });

  it('prints status per process, as a table and as JSON', async () => {
    const rows = await status();
    assert.deepEqual(rows.map((p) => p.role).sort(), ['business', 'business', 'gateway', 'gateway', 'register']);
    const gateways = rows.filter((p) => p.role === 'gateway');
    const connected = clients.filter((c) => c.closeCode === null).length;
    assert.equal(
      gateways.reduce((n, g) => n + g.connections, 0),
      connected,
    );
    for (const row of rows) {
      assert.ok(row.pid > 0 && row.rss > 0 && row.uptime >= 0, JSON.stringify(row));
    }
    for (const worker of rows.filter((p) => p.role === 'business')) assert.equal(typeof worker.inFlight, 'number');
    const table = await control('status');
    assert.match(table, /^ROLE\s+PID\s+UPTIME\s+CONNS/);
    assert.equal(table.trim().split('\n').length, 6);
  });

  it('exports Prometheus metrics from gateways and workers', async () => {
    const gateway = (await metrics(9400)) + (await metrics(9401));
    const connections = [...gateway.matchAll(/^switchboard_gateway_connections (\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(
      connections.reduce((a, b) => a + b, 0),
      clients.filter((c) => c.closeCode === null).length,
    );
    assert.match(gateway, /^switchboard_gateway_messages_in_total [1-9]/m);
    assert.match(gateway, /^switchboard_gateway_events_routed_total\{worker=".+"\} \d+/m);
    assert.match(gateway, /^switchboard_gateway_lost_events_total \d+/m);
    // One of the two workers was just restarted and may have handled nothing yet.
    const worker = (await metrics(9500)) + (await metrics(9501));
    assert.match(worker, /^switchboard_worker_handler_duration_seconds_bucket\{le="0.005",event="message"\} \d+/m);
    assert.match(worker, /^switchboard_worker_events_in_flight \d+/m);
  });

  it('stops gracefully: clients get 1001 "going away", every process exits', async () => {
    const client = clients.find((c) => c.closeCode === null)!;
    await control('stop');
    assert.equal(await client.closed, 1001);
    assert.equal(await start.exited, 0);
    const again = spawnSync(process.execPath, [BIN, 'status', '--control', CONTROL], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no running switchboard/);
  });
});
