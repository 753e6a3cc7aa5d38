// `switchboard start` with a WebSocket gateway and a TCP gateway group against the same worker: a uid bound on a
// phone and on a device gets one sendToUid on both; `status` names the TCP gateways; TLS reload reaches them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { textCodec } from '../../gateway/protocols/text.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { BIN, FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TcpTestClient } from '../helpers/tcp-client.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.46';
const dir = mkdtempSync(join(tmpdir(), 'sb-start-tcp-'));
const CONTROL = join(dir, 'control.sock');
const clients: { close(): void }[] = [];

describe('start --tcp-listen', () => {
  before(async () => {
    // Stopped by killAll() in after().
    new RoleProcess('start', [
      'start',
      ...['--listen', `${HOST}:7272`, '--register-listen', `${HOST}:1236`, '--lan-ip', HOST],
      ...['--events', `${FIXTURES}device-app.ts`, '--control', CONTROL, '--metrics-listen', `${HOST}:9400`],
      ...['--tcp-listen', `${HOST}:8282`, '--tcp-protocol', 'text', '--tcp-gateways', '2'],
    ]);
    // Up when every gateway has the worker linked: the WebSocket one (metrics port 9400), the TCP ones (9401, 9402).
    for (const port of [9400, 9401, 9402]) {
      await waitForMetric(`http://${HOST}:${port}/metrics`, 'switchboard_gateway_workers', (n) => (n ?? 0) >= 1, {
        waitMs: 30_000,
      });
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers one sendToUid to a phone on the WebSocket gateway and to devices on the TCP gateways', async () => {
    const phone = await TestClient.connect(`ws://${HOST}:7272/`);
    clients.push(phone);
    const devices = await Promise.all([1, 2, 3, 4].map(() => TcpTestClient.connect(HOST, 8282, textCodec)));
    clients.push(...devices);
    await phone.call('bindUid', '$self', 'bob');
    for (const d of devices) await d.call('bindUid', '$self', 'bob');
    const gateways = new Set(devices.map((d) => d.clientId.slice(0, 16)));
    await devices[0]!.call('sendToUid', 'bob', 'to every bob');
    assert.equal(await phone.next((m) => m === 'to every bob'), 'to every bob');
    for (const d of devices) assert.equal(await d.next((m) => m === 'to every bob'), 'to every bob');
    assert.equal(((await phone.call('getClientIdByUid', 'bob')) as string[]).length, 5);
    console.log(`devices spread over ${gateways.size} TCP gateway(s)`);
  });

  it('status lists the TCP gateways as gateway[text]#i', () => {
    const status = spawnSync(process.execPath, [BIN, 'status', '--control', CONTROL], { encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^gateway#0 /m);
    assert.match(status.stdout, /^gateway\[text\]#0 /m);
    assert.match(status.stdout, /^gateway\[text\]#1 /m);
  });
});
