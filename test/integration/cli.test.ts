// The CLI as a user runs it: `switchboard start` with the demo chat, a crashed child restarted, a clean stop,
// `start` in an app's folder running the app's own events module, --help, and refusals that say what to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, killAll, RoleProcess, type LogLine } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.24';
const clients: TestClient[] = [];
const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SWITCHBOARD_SECRET: '' },
    timeout: 30_000,
  });

async function chatClient(uid: string): Promise<TestClient> {
  const client = new TestClient(`ws://${HOST}:7272`);
  clients.push(client);
  await client.opened;
  await client.next((m) => (m as { type?: string }).type === 'hello');
  client.send({ type: 'login', uid });
  await client.next((m) => (m as { type?: string }).type === 'welcome');
  return client;
}

describe('switchboard CLI', () => {
  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('start runs the demo chat, restarts a crashed worker, and stops cleanly', async () => {
    const start = new RoleProcess('start', [
      'start',
      '--listen',
      `${HOST}:7272`,
      '--register-listen',
      `${HOST}:1236`,
      '--lan-ip',
      HOST,
      // Its own control socket, so a `switchboard start` the developer runs is not in the way.
      '--control',
      join(tmpdir(), `sb-cli-test-${process.pid}.sock`),
      // Client limits reach the gateways `start` runs.
      '--max-connections-per-ip',
      '2',
    ]);
    const workerUp = await start.waitFor('connected to gateway', 15_000, (l) => l.role === 'business');
    const module = start.lines.find((l) => l.role === 'business' && typeof l.demo === 'boolean');
    assert.equal(module?.demo, true, 'the worker says it runs the bundled demo chat');
    const page = await fetch(`http://${HOST}:7272/`);
    assert.equal(page.status, 200, 'the demo page is served');
    assert.match(String(page.headers.get('content-type')), /text\/html/);
    await page.arrayBuffer();
    const alice = await chatClient('alice');
    const bob = await chatClient('bob');
    const third = new TestClient(`ws://${HOST}:7272`);
    clients.push(third);
    assert.equal(await third.closed, 1008, 'a third connection from the same address is refused');
    alice.send({ type: 'say', to: 'bob', text: 'hi bob' });
    assert.deepEqual(await bob.next((m) => (m as { type?: string }).type === 'say'), {
      type: 'say',
      from: 'alice',
      text: 'hi bob',
    });
    for (const c of [alice, bob]) c.send({ type: 'join', room: 'lobby' });
    await alice.next(
      (m) => (m as { uid?: string; type?: string }).type === 'joined' && (m as { uid: string }).uid === 'bob',
    );
    bob.send({ type: 'room', room: 'lobby', text: 'hello room' });
    assert.equal(
      ((await alice.next((m) => (m as { type?: string }).type === 'room')) as { text: string }).text,
      'hello room',
    );

    process.kill(workerUp.pid as number, 'SIGKILL');
    await start.waitFor('business exited');
    await start.waitFor('connected to gateway', 15_000, (l) => l.role === 'business' && l.pid !== workerUp.pid);
    bob.send({ type: 'all', text: 'still here' });
    assert.equal(
      ((await alice.next((m) => (m as { type?: string }).type === 'all', 10_000)) as { text: string }).text,
      'still here',
    );
    assert.equal(alice.closeCode, null, 'clients stay connected while the worker restarts');

    await start.kill('SIGTERM');
    assert.equal(await start.exited, 0);
    assert.equal(await alice.closed, 1001, 'gateway says "going away"');
  });

  it("start in an app's folder runs its events.ts, serves no demo page, and gives each gateway a free inner port", async () => {
    const app = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-cli-app-')));
    try {
      writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(join(app, 'events.ts'), 'export function onConnect(clientId: string): void {}\n');
      const start = new RoleProcess(
        'start in app',
        [
          'start',
          ...['--listen', `${HOST}:7273`, '--register-listen', `${HOST}:1237`, '--lan-ip', HOST],
          ...['--gateways', '2', '--inner-port', '0', '--metrics-listen', `${HOST}:9410`],
          ...['--control', join(app, 'control.sock')],
        ],
        {},
        // Runs it in the app's folder (exec keeps the pid, so signals reach it).
        ['sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', app],
      );
      const deadline = Date.now() + 20_000;
      let metrics = '';
      while (!/switchboard_worker_gateways_linked 2/.test(metrics)) {
        assert.ok(Date.now() < deadline, `the worker did not link to both gateways\n${start.dump()}`);
        await new Promise((r) => setTimeout(r, 200));
        metrics = await fetch(`http://${HOST}:9510/metrics`).then(
          (r) => r.text(),
          () => '',
        );
      }
      const module = start.lines.find((l) => l.role === 'business' && typeof l.demo === 'boolean');
      assert.equal(module?.events, join(app, 'events.ts'));
      assert.equal(module?.demo, false);
      const page = await fetch(`http://${HOST}:7273/`);
      assert.equal(page.status, 404, 'no demo page when the app is not the demo');
      await page.arrayBuffer();
      await start.kill('SIGTERM');
      assert.equal(await start.exited, 0);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('gateway --count 2 --inner-port 0: each copy listens on a free inner port of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-count-'));
    try {
      const gateways = new RoleProcess('gateway --count', [
        'gateway',
        ...['--count', '2', '--inner-port', '0', '--listen', `${HOST}:7274`, '--lan-ip', HOST],
        ...['--register', `${HOST}:1238`, '--control', join(dir, 'control.sock'), '--log-level', 'info'],
      ]);
      const listening = (l: LogLine) => l.role === 'gateway' && typeof l.inner === 'string';
      const first = await gateways.waitFor('', 15_000, listening);
      const second = await gateways.waitFor('', 15_000, (l) => listening(l) && l.pid !== first.pid);
      const ports = [first, second].map((l) => Number(String(l.inner).split(':').at(-1)));
      assert.notEqual(ports[0], ports[1]);
      for (const port of ports) assert.ok(port > 1023, `inner port ${port} is a free port the system chose`);
      await gateways.kill('SIGTERM');
      assert.equal(await gateways.exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains every role in --help', () => {
    const top = run('--help');
    assert.equal(top.status, 0);
    for (const role of ['start', 'register', 'gateway', 'business']) assert.match(top.stdout, new RegExp(role));
    assert.match(run('gateway', '--help').stdout, /--lan-ip[\s\S]*--inner-port[\s\S]*--register[\s\S]*--secret/);
    for (const role of ['register', 'gateway', 'business']) {
      assert.match(run(role, '--help').stdout, /--heartbeat-interval/, role);
    }
    assert.match(run('gateway', '--help').stdout, /--inner-listen/);
    assert.match(run('business', '--help').stdout, /--events/);
    for (const role of ['start', 'business']) {
      assert.match(
        run(role, '--help').stdout,
        /\.\/events\.ts.*\.\/events\.mts.*\.\/events\.js.*\.\/events\.mjs/s,
        role,
      );
    }
    assert.match(run('register', '--help').stdout, /--listen/);
  });

  it('refuses a missing secret off loopback, and a bad address, saying what to do', () => {
    const noSecret = run('gateway', '--lan-ip', '10.1.2.3', '--listen', `${HOST}:7299`);
    assert.equal(noSecret.status, 1);
    assert.match(noSecret.stderr, /SB_ERR_SECRET_REQUIRED/);
    assert.match(noSecret.stderr, /--secret/);
    const badAddress = run('register', '--listen', 'nowhere');
    assert.equal(badAddress.status, 1);
    assert.match(badAddress.stderr, /HOST:PORT/);
  });
});
