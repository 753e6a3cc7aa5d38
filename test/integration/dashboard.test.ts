// The dashboard of `switchboard start`: refused off loopback without a token, guarded by its token off loopback,
// and what an address that is taken does (given: start fails before any process runs; the default: a warning).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { killAll, RoleProcess } from '../helpers/processes.ts';

const HOST = '127.0.0.213';
const TOKEN = 'dashboard-test-token';
const controlDir = mkdtempSync(join(tmpdir(), 'sb-dashboard-'));

function start(name: string, extra: string[], env: NodeJS.ProcessEnv = {}): RoleProcess {
  return new RoleProcess(
    name,
    [
      'start',
      ...['--listen', `${HOST}:7272`, '--register-listen', `${HOST}:1236`, '--lan-ip', HOST, '--inner-port', '2900'],
      ...['--control', join(controlDir, `${name}.sock`), ...extra],
    ],
    env,
  );
}

/** The status of GET `url` sent with this Host header (which fetch does not let a caller set). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

function squat(host: string, port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

describe('the dashboard of switchboard start', () => {
  const servers: Server[] = [];
  after(async () => {
    await killAll();
    for (const server of servers) server.close();
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('is refused off loopback without a token, before any process starts', async () => {
    const failed = start('no-token', ['--dashboard', '0.0.0.0:0']);
    assert.equal(await failed.exited, 1);
    assert.match(failed.raw, /switchboard start: dashboard: .*--dashboard-token.* \[SB_ERR_DASHBOARD_TOKEN_REQUIRED\]/);
    assert.equal(failed.logged('started').length, 0, 'no process was started');
  });

  it('off loopback with a token, serves only who presents it (header, or ?token= once and then its cookie)', async () => {
    const running = start('token', ['--dashboard', '0.0.0.0:0'], { SWITCHBOARD_DASHBOARD_TOKEN: TOKEN });
    try {
      const url = (await running.waitFor('dashboard on', 30_000)).url as string;
      assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
      const port = new URL(url).port;
      // Reached through another address of this host than the one named: the token is what counts.
      const base = `http://127.0.0.1:${port}`;
      for (const path of ['/', '/api/state', '/api/events', '/dashboard.js']) {
        const refused = await fetch(base + path);
        assert.equal(refused.status, 401, path);
        await refused.body?.cancel();
      }
      const wrong = await fetch(`${base}/api/state`, { headers: { Authorization: 'Bearer not-it' } });
      assert.equal(wrong.status, 401);
      const state = await fetch(`${base}/api/state`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(state.status, 200);
      const hello = (await state.json()) as { intervalMs: number };
      assert.equal(hello.intervalMs, 1000);

      const opened = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.get('location'), '/');
      const cookie = opened.headers.get('set-cookie') ?? '';
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const page = await fetch(base + '/', { headers: { Cookie: cookie.split(';')[0]! } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Switchboard dashboard<\/title>/);
    } finally {
      await running.kill('SIGTERM');
    }
  });

  it('on loopback needs no token, and answers only requests for a loopback host name', async () => {
    const running = start('loopback', ['--dashboard', `${HOST}:0`]);
    try {
      const url = (await running.waitFor('dashboard on', 30_000)).url as string;
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      await page.body?.cancel();
      // A site whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
      const rebound = await statusWithHost(url, `attacker.example:${new URL(url).port}`);
      assert.equal(rebound, 403);
    } finally {
      await running.kill('SIGTERM');
    }
  });

  it('exits 1 with SB_ERR_DASHBOARD_LISTEN, starting nothing, when the address given is taken', async () => {
    const squatter = await squat(HOST, 7271);
    servers.push(squatter);
    try {
      const failed = start('taken', ['--dashboard', `${HOST}:7271`]);
      assert.equal(await failed.exited, 1);
      assert.match(failed.raw, /\[SB_ERR_DASHBOARD_LISTEN\]/);
      assert.equal(failed.logged('started').length, 0, 'no process was started');
    } finally {
      squatter.close();
    }
  });

  it('warns once and goes on without it when the default address is taken', async (t) => {
    let squatter: Server;
    try {
      squatter = await squat('127.0.0.1', 7271);
    } catch {
      // Someone else holds the default port, and may let it go at any moment: nothing to assert reliably.
      return t.skip('127.0.0.1:7271 is already in use on this machine');
    }
    servers.push(squatter);
    const running = start('default-taken', []);
    try {
      await running.waitFor('switchboard started', 30_000);
      const warnings = running.logged('dashboard not started');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.code, 'SB_ERR_DASHBOARD_LISTEN');
      assert.equal(running.logged('dashboard on').length, 0);
    } finally {
      squatter.close();
      await running.kill('SIGTERM');
    }
  });
});
