// A reload while a handler hangs, under `switchboard start`: the drain waits for the hung handler at most
// --handler-timeout, reports it as timed out rather than lost, and `status` shows the worker being replaced, then
// draining, with its oldest running event, until it has exited.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { controlRequest } from '../../cli/control-socket.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { controlCommand } from '../helpers/switchboard-start.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.118';
const TIMEOUT_MS = 5000;
const CONTROL = join(tmpdir(), `sb-hung-reload-${process.pid}.sock`);
const GATE = join(tmpdir(), `sb-hung-reload-gate-${process.pid}`);
const clients: TestClient[] = [];

const control = (...args: string[]) => controlCommand(CONTROL, args, 60_000);

type Row = Record<string, any>;
/** What `status --json` prints, asked over the control socket in-process: polling it must be quick. */
async function status(): Promise<Row[]> {
  const answer = await controlRequest(CONTROL, { cmd: 'status' }, 10_000);
  if (!answer.ok) throw new Error(answer.error);
  return answer.processes as Row[];
}
const workers = (rows: Row[]) => rows.filter((r) => r.role === 'business');

describe('reload during a hung handler', () => {
  let start: RoleProcess;

  before(async () => {
    start = new RoleProcess(
      'start',
      [
        'start',
        ...['--listen', `${HOST}:7272`, '--register-listen', `${HOST}:1236`, '--lan-ip', HOST],
        ...['--events', `${FIXTURES}hang-app.ts`, '--handler-timeout', String(TIMEOUT_MS)],
        ...['--metrics-listen', `${HOST}:9400`, '--control', CONTROL],
      ],
      { HANG_APP_GATE: GATE },
    );
    const url = `http://${HOST}:9500/metrics`;
    await waitForMetric(url, 'switchboard_worker_gateways_linked', (n) => n === 1, { waitMs: 60_000 });
  });

  after(async () => {
    for (const c of clients) c.close();
    rmSync(GATE, { force: true });
    await killAll();
  });

  it('drains within about the handler timeout, counts the event as timed out, and lists the draining worker', async (t) => {
    const client = await TestClient.connect(`ws://${HOST}:7272`);
    clients.push(client);
    const clientId = (client as TestClient & { clientId: string }).clientId;
    const [old] = workers(await status());
    assert.equal(old!.state, 'up');

    // The new worker of the reload holds back at onWorkerStart until the gate file goes.
    writeFileSync(GATE, '');
    let reloadDone = false;
    const reloading = control('reload').finally(() => (reloadDone = true));
    const reloadRunning = async () => {
      await new Promise((r) => setImmediate(r));
      return !reloadDone;
    };
    const replacing = await until(
      'the new worker starting beside the old one',
      status,
      (rows) => workers(rows).some((r) => r.state === 'starting'),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    assert.deepEqual(
      workers(replacing).find((r) => r.pid === old!.pid)?.state,
      'up',
      'the old worker is listed while its successor starts',
    );
    // The client is the old worker's: its handler hangs there.
    client.send('hang');
    await until(
      'the hang running on the old worker',
      status,
      (rows) => workers(rows).some((r) => r.pid === old!.pid && r.oldestEventMs > 0),
      { timeoutMs: 20_000 },
    );
    rmSync(GATE);
    const released = Date.now();

    const draining = await until(
      'the old worker listed as draining',
      status,
      (rows) => workers(rows).some((r) => r.pid === old!.pid && r.state === 'draining'),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const row = workers(draining).find((r) => r.pid === old!.pid)!;
    assert.ok(row.oldestEventMs > 0, JSON.stringify(row));
    const table = await control('status');
    assert.match(table, /\bOLDEST\b.*\bSTATE$/m);
    // The drain may have ended while the command started: then the table has only the new worker.
    if (await reloadRunning()) assert.match(table, /^business#0\s.*\sdraining$/m);

    assert.match(await reloading, /1 business worker\(s\) replaced/);
    const tookMs = Date.now() - released;
    assert.ok(tookMs < TIMEOUT_MS + 8000, `the reload took ${tookMs} ms after the new worker could start`);
    t.diagnostic(`reload done ${tookMs} ms after the new worker could start (--handler-timeout ${TIMEOUT_MS})`);

    // Reported by the old worker as timed out while it drained, not lost.
    const drainStarted = await start.waitFor('draining: waiting for', 1000, (l) => l.pid === old!.pid);
    const timedOut = await start.waitForCode('SB_ERR_HANDLER_TIMEOUT', 1000, (l) => l.client === clientId);
    assert.equal(timedOut.pid, old!.pid);
    const waited = Date.parse(String(timedOut.time)) - Date.parse(String(drainStarted.time));
    assert.ok(waited >= 0, 'the drain waited for it');
    t.diagnostic(`the drain waited ${waited} ms for the hung handler's timeout`);
    await start.waitFor('given up', 1000, (l) => l.pid === old!.pid && l.client === clientId);
    const rows = await status();
    const gateway = rows.find((r) => r.role === 'gateway')!;
    assert.equal(gateway.lostEvents, 0);
    assert.equal(start.logged('unfinished').length, 0, 'no event lost with the old worker');
    assert.ok(
      workers(rows).every((r) => r.state === 'up' && r.pid !== old!.pid),
      JSON.stringify(workers(rows)),
    );

    // The client was not disconnected, and its next message goes to the new worker.
    client.send('next');
    assert.equal(await client.next((m) => m === 'echo:next', 10_000), 'echo:next');
    assert.equal(client.closeCode, null);
  });
});
