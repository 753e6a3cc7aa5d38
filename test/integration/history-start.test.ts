// `switchboard start` on one host (register, one gateway, one worker) with the default embedded history: the
// gateway is SIGKILLed under a recovering client, the supervisor restarts it, kept sends go on meanwhile, and
// the client, back on the restarted gateway, gets every one of them once and in order, then the live ones.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../index.ts';
import { createLogger } from '../../shared/logger.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import type { RoleProcess } from '../helpers/processes.ts';
import { killAll } from '../helpers/processes.ts';
import { RecoveringClient, type Received } from '../helpers/recovering-client.ts';
import { startApiApp } from '../helpers/switchboard-start.ts';

const HOST = '127.0.0.188';
const URL = `ws://${HOST}:7272/`;
const controlDir = mkdtempSync(join(tmpdir(), 'switchboard-history-start-'));
const isKept = (m: Received) => m.kind === 'kept';
const isEvent = (t: string) => (m: Received) => m.kind === 'event' && m.t === t;

describe('kept messages across a gateway kill under switchboard start (embedded history)', () => {
  let start: RoleProcess;
  let sender: GatewayClient;
  const open: RecoveringClient[] = [];

  before(async () => {
    start = await startApiApp(HOST, { gateways: 1, workers: 1, control: join(controlDir, 'control.sock') });
    sender = new GatewayClient({ register: `${HOST}:1236`, log: createLogger({}, 'silent') });
    await sender.ready();
  });
  after(async () => {
    for (const c of open) c.close();
    await sender?.close();
    await start?.kill('SIGTERM');
    await killAll();
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('replays on the restarted gateway what was kept while it was down, once and in order', async () => {
    const first = await RecoveringClient.connect(URL);
    open.push(first);
    await first.call('bindUid', '$self', 'erin');
    const position = (await first.next(isEvent('position'))) as { epoch: string; offset: number };
    await sender.sendToUid('erin', 'e1', { keep: true });
    const e1 = (await first.next(isKept)) as Received & { kind: 'kept' };
    assert.deepEqual([e1.epoch, e1.offset], [position.epoch, position.offset + 1]);

    const gone = start.logged('gateway listening').at(-1)!.pid as number;
    const closed = new Promise((resolve) => first.ws.once('close', resolve));
    process.kill(gone, 'SIGKILL');
    await closed;
    for (const text of ['e2', 'e3', 'e4']) await sender.sendToUid('erin', text, { keep: true });
    await start.waitFor('gateway listening', 20_000, (l) => l.pid !== gone);
    await waitForMetric(`http://${HOST}:9400/metrics`, 'switchboard_gateway_workers', (n) => (n ?? 0) >= 1, {
      waitMs: 20_000,
    });

    const again = await RecoveringClient.connect(URL, { 'uid:erin': [e1.epoch, e1.offset] });
    open.push(again);
    await again.call('bindUid', '$self', 'erin');
    const got: Received[] = [];
    for (let i = 0; i < 3; i++) got.push(await again.next(isKept));
    assert.deepEqual(
      got.map((m) => m.kind === 'kept' && [m.data, m.epoch, m.offset]),
      [2, 3, 4].map((n) => [`e${n}`, e1.epoch, position.offset + n]),
    );
    await again.next(isEvent('recovered'));
    await sender.sendToUid('erin', 'e5', { keep: true });
    const e5 = (await again.next(isKept)) as Received & { kind: 'kept' };
    assert.deepEqual([e5.data, e5.offset], ['e5', position.offset + 5]);
    await assert.rejects(again.next(isKept, 300));
  });
});
