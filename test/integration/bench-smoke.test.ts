// The benchmark harness, run for a few seconds with tiny numbers so it cannot rot: every scenario against
// every server, on 127.0.0.60-69 only. Numbers are printed by `npm run bench`, never asserted here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { presetOptions } from '../../bench/bench-options.ts';
import { Histogram } from '../../bench/histogram.ts';
import { parseRequest } from '../../bench/protocol.ts';
import { runBench } from '../../bench/run-bench.ts';

/** Live child processes of this process that the bench starts (servers and load processes). */
function benchChildren(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      // Not tsx's own esbuild helper: only what the bench started.
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (/bench\/(load-process|ws-server|socketio-server)\.ts|bin\/switchboard\.js/.test(command)) {
        out.push(`${entry}: ${command}`);
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('bench harness (smoke)', () => {
  it('parses the bench protocol and computes percentiles within 1%', () => {
    assert.deepEqual(parseRequest('touid:u7:a:b'), { op: 'touid', uid: 'u7', data: 'a:b' });
    assert.deepEqual(parseRequest('group:g:x'), { op: 'group', group: 'g', data: 'x' });
    assert.deepEqual(parseRequest('echo:123'), { op: 'echo' });
    assert.equal(parseRequest('touid:nocolon'), null);
    assert.equal(parseRequest('hello'), null);
    const h = new Histogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    const merged = new Histogram();
    merged.merge(Histogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON()))));
    for (const [p, exact] of [
      [0.5, 5000],
      [0.99, 9900],
    ] as const) {
      assert.ok(Math.abs(merged.percentile(p) - exact) / exact <= 0.011, `p${p * 100}: ${merged.percentile(p)}`);
    }
    assert.equal(merged.percentile(1), 10_000);
  });

  it('measures every scenario on raw ws, Socket.IO and Switchboard, then stops everything', async () => {
    const options = presetOptions('smoke');
    const hosts = [...options.clientHosts, ...Object.values(options.serverHost)];
    assert.ok(
      hosts.every((h) => /^127\.0\.0\.6\d$/.test(h)),
      'smoke runs on 127.0.0.60-69 only',
    );

    const report = await runBench(options);

    const expected = [
      ['echo-10', ['ws', 'socketio', 'switchboard']],
      ['touid-8', ['ws', 'switchboard']],
      ['echo-100-window-10', ['ws', 'switchboard']],
      ['touid-pipelined-100', ['ws', 'switchboard']],
      ['fanout-all-20', ['ws', 'socketio', 'switchboard']],
      ['fanout-group-20', ['ws', 'socketio', 'switchboard']],
      ['latency-half-max', ['ws', 'switchboard']],
      ['routing-1g-directory', ['switchboard']],
      ['routing-2g-directory', ['switchboard']],
      ['routing-2g-all', ['switchboard']],
    ] as const;
    for (const [scenario, kinds] of expected) {
      for (const kind of kinds) {
        const row = report.rows.find((r) => r.scenario === scenario && r.kind === kind);
        assert.ok(row, `${scenario} on ${kind} was run`);
        // Skipped open-loop sends only say the machine was busy; anything else is a harness fault.
        const faults = row.notes.filter((n) => !n.includes('skipped'));
        assert.deepEqual(faults, [], `${scenario} on ${kind}: ${row.notes.join('; ')}`);
        assert.ok(row.deliveries > 0, `${scenario} on ${kind} delivered messages`);
        assert.ok(Object.keys(row.cpu.server).length > 0, `${scenario} on ${kind} has server CPU figures`);
      }
    }
    for (const kind of ['ws', 'switchboard']) {
      const idle = report.idle.find((r) => r.kind === kind);
      assert.equal(idle?.largest, 100, `idle on ${kind} held every connection`);
    }
    assert.ok(report.targets.length > 0);
    const routing = report.targets.find((t) => t.name.startsWith('2 gateways: gateway CPU per touid delivery'));
    assert.ok(routing?.measured, `the routing target was measured: ${JSON.stringify(routing)}`);
    assert.match(report.text, /switchboard 1g\/1w/);

    // Directory: one line per size in the documented form; a held uid is never missed (the run checks).
    assert.deepEqual(
      report.directory.map((d) => d.uids),
      [1000, 20_000],
    );
    for (const d of report.directory) {
      assert.match(
        d.line,
        /^directory: \d+ uids, [\d.]+ bytes per uid per subscriber, [\d.]+% false positives, \d+ ms snapshot$/,
      );
      assert.ok(report.text.includes(`${d.line}\n`));
    }
    // Login storm: every client back and logged in, nothing lost, few membership frames.
    const storm = report.storm!;
    assert.equal(storm.failedLogins, 0, storm.line);
    assert.equal(storm.lostEvents, 0, storm.line);
    assert.equal(storm.bystanderDropped, 0, storm.line);
    assert.ok(storm.updateFramesPerSubscriber < storm.clients, `coalesced: ${storm.line}`);
    assert.ok(Object.keys(storm.peakRss).length === 5, `peak RSS of every server process: ${storm.line}`);
    // The big cluster, small: sends reach exactly the gateways with members; joins and deaths are measured.
    const cluster = report.cluster!;
    assert.ok(cluster.exact.uid && cluster.exact.group, cluster.exact.detail);
    assert.ok(cluster.joinMs >= 0 && cluster.forgottenMs >= cluster.lostMs, cluster.lines.join('\n'));
    assert.ok(
      cluster.sockets.worker.every((n) => n >= cluster.registers + cluster.gateways),
      cluster.lines[2],
    );
    assert.deepEqual(benchChildren(), [], 'no server or load process is left running');
  });
});
