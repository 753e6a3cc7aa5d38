// wss:// on the gateway's public port through `switchboard start`, /metrics on that port, and a certificate
// swapped with `switchboard reload --tls` while clients stay connected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { waitForMetric } from '../helpers/metrics.ts';
import { BIN, FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';

const HOST = '127.0.0.38';
const dir = mkdtempSync(join(tmpdir(), 'sb-wss-'));
const CONTROL = join(dir, 'control.sock');
const fixture = (name: string) => readFileSync(`${FIXTURES}tls/${name}`);
const sockets: WebSocket[] = [];

function useCertificate(name: string): void {
  copyFileSync(`${FIXTURES}tls/${name}.crt`, join(dir, 'cert.pem'));
  copyFileSync(`${FIXTURES}tls/${name}.key`, join(dir, 'key.pem'));
}

/** Opens a wss:// client trusting only `ca`; resolves with it open, rejects when TLS fails. */
function openWss(ca: Buffer): Promise<WebSocket> {
  const ws = new WebSocket(`wss://${HOST}:7272`, { ca });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('wss:// on the public port', () => {
  before(async () => {
    useCertificate('public');
    // Stopped by killAll() in after().
    new RoleProcess('start', [
      'start',
      ...['--listen', `${HOST}:7272`, '--register-listen', `${HOST}:1236`, '--lan-ip', HOST],
      ...['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--control', CONTROL],
    ]);
    // Up when the gateway has the worker linked.
    await waitForMetric(`https://${HOST}:7272/metrics`, 'switchboard_gateway_workers', (n) => (n ?? 0) >= 1, {
      ca: fixture('public.crt'),
      waitMs: 20_000,
    });
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts wss:// clients and answers them through the worker', async () => {
    const ws = await openWss(fixture('public.crt'));
    const hello = await new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    assert.match(hello, /"type":"hello"/);
  });

  it('serves /metrics on the same port', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      request(`https://${HOST}:7272/metrics`, { ca: fixture('public.crt') }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    assert.match(body, /^switchboard_gateway_connections \d+/m);
  });

  it('swaps the certificate on `switchboard reload --tls`; open connections stay', async () => {
    const old = await openWss(fixture('public.crt'));
    useCertificate('public2');
    const run = spawnSync(process.execPath, [BIN, 'reload', '--tls', '--control', CONTROL], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    // The gateway reads the new files when the supervisor passes the reload on: until then, the old one is served.
    await until('the new certificate served', () => openWss(fixture('public2.crt')), Boolean, { intervalMs: 100 });
    await openWss(fixture('public2.crt'));
    await assert.rejects(openWss(fixture('public.crt')));
    assert.equal(old.readyState, WebSocket.OPEN);
  });
});
