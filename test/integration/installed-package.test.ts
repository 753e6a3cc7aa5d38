/**
 * The package as a user gets it: `npm pack`, installed into an app folder outside the repository, then used
 * only through what was installed — the `switchboard` command, `import … from 'switchboard'`, its types.
 * A runtime file missing from the tarball, a type error in its declarations or a source-only import fails here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { extractSnippets } from '../helpers/doc-snippets.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.90';
const REGISTER = `${HOST}:1236`;
const INSTALL_TIMEOUT_MS = 240_000;

/** npm and tsc as a user runs them: none of the `npm test` run's own npm_* settings leak in. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

async function sh(cwd: string, file: string, args: string[], timeout = INSTALL_TIMEOUT_MS): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env: userEnv(), timeout, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: err });
  }
}

describe('the installed package', { timeout: INSTALL_TIMEOUT_MS * 2 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'switchboard-package-'));
  const app = join(work, 'app');
  let tarball = '';
  let files: string[] = [];

  before(async () => {
    const packed = JSON.parse(await sh(REPO, 'npm', ['pack', '--json', '--pack-destination', work])) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    cpSync(join(FIXTURES, 'consumer-app'), app, { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'my-app', private: true, type: 'module' }, null, 2) + '\n',
    );
    const typescript = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, any>)
      .devDependencies.typescript as string;
    await sh(app, 'npm', [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `typescript@${typescript}`,
    ]);
  });

  after(async () => {
    await killAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('ships compiled JavaScript with declarations, the browser files, and no sources, tests or bench', () => {
    for (const needed of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/business/events.js',
      'browser-client/index.js',
      'browser-client/types/index.d.ts',
      'demo/index.html',
      'dist/dashboard/dashboard-server.js',
      'dashboard/page/index.html',
      'dashboard/page/dashboard.js',
      'dashboard/page/charts.js',
      'dashboard/page/dashboard.css',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    const unwanted = files.filter((f) => /^(test|bench)\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)));
    assert.deepEqual(unwanted, []);
  });

  it('type-checks a TypeScript app and every TypeScript example of the docs with the stock strict tsconfig of `tsc --init` and nodenext, with no error', async () => {
    assert.ok(extractSnippets(join(app, 'docs-examples')).length > 0);
    const tsc = join(app, 'node_modules', '.bin', 'tsc');
    await sh(app, tsc, ['--init']);
    const config = readFileSync(join(app, 'tsconfig.json'), 'utf8');
    assert.match(config, /"module": "nodenext"/);
    writeFileSync(
      join(app, 'tsconfig.json'),
      config.replace('"module": "nodenext",', '"module": "nodenext",\n    "moduleResolution": "nodenext",'),
    );
    // Also without skipLibCheck, so the package's own declarations are checked, not only the app's use of them.
    await sh(app, tsc, ['--noEmit', '-p', '.', '--skipLibCheck', 'false'], 60_000);
  });

  it('prints its help from the installed `switchboard` command', async () => {
    const help = await sh(app, join(app, 'node_modules', '.bin', 'switchboard'), ['--help'], 30_000);
    assert.match(help, /start/);
    assert.match(help, /gateway/);
  });

  /**
   * `switchboard start` of the installed package in the app folder, as the README says to run it (without the
   * dashboard, unless `extra` asks for it).
   */
  async function startApp(extra: string[], cwd = app): Promise<RoleProcess> {
    const start = new RoleProcess(
      'start',
      [
        'start',
        ...(extra.includes('--dashboard') ? [] : ['--no-dashboard']),
        ...['--listen', `${HOST}:7272`, '--register-listen', REGISTER, '--lan-ip', HOST, '--inner-port', '2900'],
        ...['--control', join(work, 'control.sock'), ...extra],
      ],
      {},
      [],
      { program: join(app, 'node_modules', 'switchboard', 'dist', 'cli', 'main.js'), cwd },
    );
    const exitedEarly = start.exited.then((code) => {
      throw new Error(`switchboard start exited with ${code} before it started:\n${start.dump()}`);
    });
    await Promise.race([start.waitFor('switchboard started', 60_000), exitedEarly]);
    return start;
  }

  /** Two users chat through the app, then another program pushes to one of them with GatewayClient. */
  async function chatAndPush(app: string, kind: 'ts' | 'js'): Promise<void> {
    const alice = new TestClient(`ws://${HOST}:7272`);
    const bob = new TestClient(`ws://${HOST}:7272`);
    try {
      for (const client of [alice, bob]) {
        const hello = (await client.next((m) => (m as { type?: string }).type === 'hello')) as { app: string };
        assert.equal(hello.app, kind);
      }
      alice.send({ login: 'alice' });
      bob.send({ login: 'bob' });
      for (const client of [alice, bob]) await client.next((m) => (m as { type?: string }).type === 'welcome');
      alice.send({ to: 'bob', text: 'hi bob' });
      assert.deepEqual(await bob.next((m) => (m as { from?: string }).from === 'alice'), {
        from: 'alice',
        text: 'hi bob',
      });
      const pushed = await sh(app, process.execPath, ['push.mjs', REGISTER, 'bob'], 30_000);
      assert.deepEqual(JSON.parse(pushed), { online: 2 });
      assert.deepEqual(await bob.next((m) => (m as { from?: string }).from === 'server'), {
        from: 'server',
        text: 'pushed',
      });
    } finally {
      alice.close();
      bob.close();
    }
  }

  it('runs the TypeScript app found as ./events.ts by `switchboard start`, and GatewayClient pushes to it', async () => {
    const start = await startApp([]);
    try {
      const worker = await start.waitFor('business worker started', 10_000, (l) => l.role === 'business');
      assert.equal(worker.events, join(app, 'events.ts'));
      await chatAndPush(app, 'ts');
    } finally {
      await start.kill('SIGTERM');
    }
    assert.equal(await start.exited, 0);
  });

  it('runs the bundled demo chat, and serves its page and the dashboard, in a folder with no events module', async () => {
    const start = await startApp(['--dashboard', `${HOST}:0`], work);
    try {
      const page = await fetch(`http://${HOST}:7272/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      const dashboard = (await start.waitFor('dashboard on', 10_000)).url as string;
      for (const file of ['', 'dashboard.js', 'charts.js', 'dashboard.css']) {
        const served = await fetch(dashboard + file);
        assert.equal(served.status, 200, `the dashboard's ${file || 'page'} is shipped`);
        await served.body?.cancel();
      }
      const state = (await (await fetch(`${dashboard}api/state`)).json()) as { historySize: number };
      assert.equal(state.historySize, 600);
      const client = new TestClient(`ws://${HOST}:7272`);
      try {
        await client.next((m) => (m as { type?: string }).type === 'hello');
        client.send({ type: 'login', uid: 'carol' });
        await client.next((m) => (m as { type?: string }).type === 'welcome');
      } finally {
        client.close();
      }
    } finally {
      await start.kill('SIGTERM');
    }
  });

  it('runs a plain JavaScript events module the same way', async () => {
    const start = await startApp(['--events', './events.mjs']);
    try {
      await chatAndPush(app, 'js');
    } finally {
      await start.kill('SIGTERM');
    }
  });

  it('fails `start` with the child’s error when the events module does not exist', async () => {
    const start = new RoleProcess(
      'start',
      [
        ...['start', '--no-dashboard', '--listen', `${HOST}:7272`, '--register-listen', REGISTER, '--lan-ip', HOST],
        ...['--control', join(work, 'control.sock'), '--events', './event.ts'],
      ],
      {},
      [],
      { program: join(app, 'node_modules', 'switchboard', 'dist', 'cli', 'main.js'), cwd: app },
    );
    assert.equal(await start.exited, 1);
    assert.match(start.raw, /SB_ERR_EVENTS_MODULE/);
    assert.equal(start.logged('switchboard started').length, 0);
  });
});
