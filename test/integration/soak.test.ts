// A short chaos soak (npm run soak): a real cluster under load through a kill, a stop, a restart and a reload,
// on every role. It must pass (exit 0) with every message accounted for; soak-accounting.test.ts shows the same
// accounting failing on duplicates, reordering and unexplained losses.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SoakReport } from '../../soak/report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.171';
/** Its first four faults: stop the register, kill a gateway, restart the register, reload the workers; then more. */
const SEED = 35;

describe('soak (short)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-soak-test-'));
  const reportFile = join(dir, 'report.json');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('survives every kind of fault on every role with every message accounted for', { timeout: 240_000 }, async () => {
    const args = [
      '--conditions=switchboard-source',
      '--import',
      'tsx',
      'soak/main.ts',
      ...['--duration', '40s', '--fault-every', '2s', '--seed', String(SEED)],
      ...['--clients', '60', '--rate', '10', '--host', HOST, '--sample-every', '1s', '--settle', '10s'],
      ...['--report', reportFile, '--log', join(dir, 'cluster.log')],
    ];
    const soak = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    soak.stdout.on('data', (chunk) => (output += chunk));
    soak.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => soak.once('exit', resolve));
    assert.equal(code, 0, output);

    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as SoakReport;
    const m = report.messages;
    assert.equal(report.seed, SEED);
    assert.deepEqual(report.failures, []);
    assert.ok(m.sent > 5_000, `sent ${m.sent}`);
    assert.equal(m.lostUndocumented, 0);
    assert.equal(m.duplicated, 0);
    assert.equal(m.reordered, 0);
    assert.equal(m.misdelivered, 0);
    const documented = Object.values(m.lostDocumented).reduce((a, b) => a + b, 0);
    assert.equal(m.delivered + documented, m.sent, 'every message is delivered or lost by a documented cause');
    assert.ok(m.connectionsOpened > 60, 'the killed gateway made its clients reconnect');

    const done = new Set(report.faults.map((f) => f.kind));
    assert.deepEqual([...done].sort(), ['kill', 'reload', 'restart', 'stop'], output);
    assert.deepEqual(new Set(report.faults.map((f) => f.role)), new Set(['register', 'gateway', 'business']));
    for (const f of report.faults) assert.ok(f.recoveredIn !== null && !f.error, JSON.stringify(f));
    // The plan is the seed's: the same on every run.
    assert.deepEqual(
      report.plan.slice(0, 4).map((f) => `${f.kind} ${f.role}`),
      ['stop register', 'kill gateway', 'restart register', 'reload business'],
    );

    // Memory was sampled for the supervisor and every role, and no process was found growing.
    const sampled = new Set(report.memory.map((row) => row.name));
    for (const name of ['supervisor', 'register#0', 'gateway#0', 'gateway#1', 'business#0', 'business#1']) {
      assert.ok(sampled.has(name), `${name} sampled`);
    }
    assert.ok(report.memory.every((row) => !(row.trend.judged && row.trend.growing)));
    assert.equal(typeof report.handlerTimeouts.value, 'number');

    for (const line of [
      'soak summary (seed 35',
      'lost, no documented cause',
      'duplicated',
      'reordered',
      'soak passed',
    ]) {
      assert.ok(output.includes(line), `the summary says "${line}"`);
    }
  });
});
