// `switchboard start` tells the truth about start-up: a child that cannot start fails the whole start with that
// child's error, and with no --secret anywhere the processes of `start` and a GatewayClient agree on loopback.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayClient } from '../../index.ts';
import { killAll, RoleProcess } from '../helpers/processes.ts';

const HOST = '127.0.0.92';
const controlDir = mkdtempSync(join(tmpdir(), 'sb-start-up-'));

function start(name: string, extra: string[] = []): RoleProcess {
  return new RoleProcess(name, [
    'start',
    '--no-dashboard',
    ...['--listen', `${HOST}:7272`, '--register-listen', `${HOST}:1236`, '--lan-ip', HOST, '--inner-port', '2900'],
    ...['--control', join(controlDir, `${name}.sock`), ...extra],
  ]);
}

describe('switchboard start, at start-up', () => {
  const servers: Server[] = [];
  after(async () => {
    await killAll();
    for (const server of servers) server.close();
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('exits 1 with the child’s error, and starts nothing, when the public port is taken', async () => {
    const squatter = createServer();
    servers.push(squatter);
    await new Promise<void>((resolve) => squatter.listen(7272, HOST, resolve));
    const failed = start('port-taken');
    assert.equal(await failed.exited, 1);
    assert.match(failed.raw, /EADDRINUSE/);
    assert.match(failed.raw, /switchboard start: gateway 0 did not start/);
    assert.equal(failed.logged('switchboard started').length, 0);
    assert.equal(failed.logged('restarting').length, 0, 'a child that never came up is not restarted');
    squatter.close();
  });

  it('exits 1 when the events module has a syntax error', async () => {
    const events = join(controlDir, 'events.ts');
    writeFileSync(events, 'export function onMessage(clientId: string {\n');
    const failed = start('bad-events', ['--events', events]);
    assert.equal(await failed.exited, 1);
    assert.match(failed.raw, /SB_ERR_EVENTS_MODULE/);
  });

  it('agrees on a secret with GatewayClient when neither is given one', async () => {
    const running = start('no-secret');
    await running.waitFor('switchboard started', 30_000);
    const client = new GatewayClient({ register: `${HOST}:1236` });
    try {
      assert.equal(await client.getAllClientIdCount(), 0);
    } finally {
      await client.close();
      await running.kill('SIGTERM');
    }
    assert.equal(await running.exited, 0);
  });
});
