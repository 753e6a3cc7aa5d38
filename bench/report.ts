import type { IdleResult, Row } from './rows.ts';
import { isTcp } from './targets.ts';
import { gatewayCpuUs } from './scenarios/routing.ts';

/** A target from the brief, checked against this run. */
export interface TargetCheck {
  name: string;
  /** What was measured, in the target's unit; null when this run could not measure it. */
  measured: number | null;
  limit: number;
  /** `>=` a floor or `<=` a ceiling. */
  sense: '>=' | '<=';
  met: boolean | null;
  /** How far from the limit, for people: `+12% over the floor`, `missed by 0.08 (12%)`. */
  verdict: string;
  detail: string;
}

const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : NaN);
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';

/** The raw row of the same scenario every ratio is against: `ws` for WebSocket servers, `net` for TCP ones. */
function baseline(rows: Row[], row: Row): Row | undefined {
  const raw = isTcp(row.kind) ? 'net' : 'ws';
  return rows.find((r) => r.scenario === row.scenario && r.kind === raw);
}

/** Switchboard's rate and CPU per delivery over raw ws's, per scenario (socket.io's too). */
export function ratios(rows: Row[]): { scenario: string; target: string; rate: number; cpuPerDelivery: number }[] {
  return rows
    .filter((r) => r.kind !== 'ws' && r.kind !== 'net')
    .map((r) => {
      const ws = baseline(rows, r);
      return {
        scenario: r.scenario,
        target: r.target,
        rate: round(ratio(r.rate, ws?.rate ?? NaN), 3),
        cpuPerDelivery: round(ratio(r.cpuUsPerDelivery, ws?.cpuUsPerDelivery ?? NaN), 3),
      };
    });
}

const round = (n: number, digits: number) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : NaN);

function check(
  name: string,
  measured: number | null,
  sense: '>=' | '<=',
  limit: number,
  detail: string,
  unit = '',
): TargetCheck {
  if (measured === null || !Number.isFinite(measured)) {
    return { name, measured: null, limit, sense, met: null, verdict: 'not measured', detail };
  }
  const met = sense === '>=' ? measured >= limit : measured <= limit;
  const gap = Math.abs(measured - limit);
  const pct = limit !== 0 ? ` (${fmt((gap / limit) * 100)}%)` : '';
  const digits = unit ? 2 : 3;
  const verdict = met
    ? `met with ${fmt(gap, digits)}${unit} to spare${pct}`
    : `missed by ${fmt(gap, digits)}${unit}${pct}`;
  return { name, measured: round(measured, 3), limit, sense, met, verdict, detail };
}

/** Switchboard with the bench's flags (limits off), not the one started with its default flags. */
const isLimitsOff = (r: Row) => r.kind === 'switchboard' && !r.target.endsWith('default flags');

/** Fanout sizes and modes whose CPU per delivery is a target, each reported (or marked not measured). */
const FANOUT_TARGETS = ['all-1000', 'group-1000', 'all-10000', 'group-10000'];

/** The brief's targets, each met, missed (and by how much) or not measured in this run. */
export function targetChecks(rows: Row[], idle: IdleResult[]): TargetCheck[] {
  const sb = (scenario: string) => rows.find((r) => r.scenario === scenario && isLimitsOff(r));
  const checks: TargetCheck[] = [];
  const rateVersus = (scenario: string, label: string, floor: number) => {
    const row = sb(scenario);
    const ws = row && baseline(rows, row);
    checks.push(
      check(
        `${label}: rate ≥ ${floor} × raw ws`,
        row && ws ? ratio(row.rate, ws.rate) : null,
        '>=',
        floor,
        row && ws ? `${fmt(row.rate)} vs ${fmt(ws.rate)} ${row.unit}` : 'scenario not run',
      ),
    );
  };
  const cpuVersus = (scenario: string, label: string, ceiling: number) => {
    const row = sb(scenario);
    const ws = row && baseline(rows, row);
    checks.push(
      check(
        `${label}: server CPU per message ≤ ${ceiling} × raw ws`,
        row && ws ? ratio(row.cpuUsPerDelivery, ws.cpuUsPerDelivery) : null,
        '<=',
        ceiling,
        row && ws ? `${fmt(row.cpuUsPerDelivery, 2)} vs ${fmt(ws.cpuUsPerDelivery, 2)} µs` : 'scenario not run',
      ),
    );
  };
  rateVersus('echo-100', 'echo, 100 clients, 1 in flight', 0.75);
  cpuVersus('echo-100', 'echo, 100 clients, 1 in flight', 1.6);
  const latency = sb('latency-half-max');
  checks.push(
    check(
      'p99 at half the max echo rate ≤ 4 ms',
      latency?.p99Ms ?? null,
      '<=',
      4,
      latency ? `offered ${fmt(Number(latency.extra?.offeredPerSec))} round trips/s` : 'scenario not run',
      ' ms',
    ),
  );
  rateVersus('touid-pipelined-100', 'touid, pipelined senders', 0.75);
  for (const size of FANOUT_TARGETS) {
    const [mode, receivers] = size.split('-') as [string, string];
    cpuVersus(`fanout-${size}`, `fanout ${mode}, ${fmt(Number(receivers))} receivers`, 0.9);
  }
  // Default flags against limits off, in every scenario that ran both.
  for (const defaults of rows.filter((r) => r.kind === 'switchboard' && !isLimitsOff(r))) {
    const off = sb(defaults.scenario);
    checks.push(
      check(
        `${defaults.title}: default flags' rate ≥ 0.9 × limits off`,
        off ? ratio(defaults.rate, off.rate) : null,
        '>=',
        0.9,
        off
          ? `${fmt(defaults.rate)} vs ${fmt(off.rate)} ${defaults.unit}; CPU ${fmt(defaults.cpuUsPerDelivery, 2)} vs ${fmt(off.cpuUsPerDelivery, 2)} µs/msg`
          : 'no limits-off row',
      ),
    );
  }
  if (!rows.some((r) => r.kind === 'switchboard' && !isLimitsOff(r))) {
    checks.push(check("default flags' rate ≥ 0.9 × limits off", null, '>=', 0.9, 'pipelined scenario not run'));
  }
  const routing = (suffix: string) =>
    rows.find((r) => r.scenario.startsWith('routing-') && r.scenario.endsWith(suffix));
  const one = routing('-1g-directory');
  const many = rows.find((r) => /^routing-([2-9]|\d\d+)g-directory$/.test(r.scenario));
  const all = routing('g-all');
  const routingDetail = () => {
    const us = (r: Row) => `${fmt(gatewayCpuUs(r), 2)} µs`;
    const commands = (r: Row | undefined) => fmt(Number(r?.extra?.sendCommandsPerMessage), 2);
    return (
      `${us(many!)} vs ${us(one!)}` +
      (all ? `; routing all: ${us(all)} (${fmt(ratio(gatewayCpuUs(all), gatewayCpuUs(one!)), 2)}×)` : '') +
      `; send commands per message: ${commands(one)}, ${commands(many)}, ${commands(all)}`
    );
  };
  checks.push(
    check(
      `${many ? parseInt(many.scenario.split('-')[1]!, 10) : 'several'} gateways: gateway CPU per touid delivery ≤ 1.3 × 1 gateway`,
      one && many ? ratio(gatewayCpuUs(many), gatewayCpuUs(one)) : null,
      '<=',
      1.3,
      one && many ? routingDetail() : 'scenario not run',
    ),
  );
  const gateway = idle.find((r) => r.kind === 'switchboard');
  const at50k = gateway?.steps.find((s) => s.connections >= 50_000);
  const top = gateway?.steps.at(-1);
  checks.push(
    check(
      'gateway RSS ≤ 5 KB per idle connection at 50,000',
      at50k ? at50k.bytesPerConnection / 1000 : null,
      '<=',
      5,
      at50k
        ? `${fmt(at50k.connections)} connections`
        : top
          ? `50,000 not reached here (${gateway?.stoppedBy ?? 'not asked for'}); at ${fmt(top.connections)}: ` +
            `${fmt(top.bytesPerConnection / 1000, 2)} KB per connection`
          : 'scenario not run',
      ' KB',
    ),
  );
  checks.push(
    check(
      '100,000 idle connections held by one gateway process',
      gateway && gateway.largest >= 100_000 ? gateway.largest : null,
      '>=',
      100_000,
      gateway
        ? `largest reached: ${fmt(gateway.largest)}${gateway.stoppedBy ? ` (${gateway.stoppedBy})` : ''}`
        : 'scenario not run',
    ),
  );
  return checks;
}

/** A plain-text table, columns padded to fit. */
function table(header: string[], body: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The results as text: one line per run with ratios to raw ws, then idle memory, then the targets. */
export function formatReport(rows: Row[], idle: IdleResult[], checks: TargetCheck[]): string {
  const parts: string[] = [];
  if (rows.length > 0) {
    const body = rows.map((r) => {
      const ws = baseline(rows, r);
      const raw = r.kind === 'ws' || r.kind === 'net';
      const vs = (a: number, b: number | undefined) => (raw || b === undefined ? '' : fmt(ratio(a, b), 2));
      return [
        r.title,
        r.target,
        fmt(r.rate),
        vs(r.rate, ws?.rate),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
        fmt(r.cpuUsPerDelivery, 2),
        vs(r.cpuUsPerDelivery, ws?.cpuUsPerDelivery),
        `${fmt((r.cpu.other / Math.max(1e-9, r.cpu.capacity)) * 100)}%`,
        r.notes.join('; '),
      ];
    });
    parts.push(
      table(
        // × raw: against raw ws for WebSocket servers, against a raw net server for TCP ones.
        ['scenario', 'server', 'rate/s', '× raw', 'p50 ms', 'p99 ms', 'CPU µs/msg', '× raw', 'other load', 'notes'],
        body,
        [false, false, true, true, true, true, true, true, true, false],
      ),
    );
  }
  if (rows.length > 0) {
    const body = rows
      .filter((r) => r.deliveries > 0)
      .map((r) => [
        r.title,
        r.target,
        Object.entries(r.cpu.server)
          .filter(([, seconds]) => seconds > 0)
          .map(([role, seconds]) => `${role} ${fmt((seconds * 1e6) / r.deliveries, 2)}`)
          .join(', '),
        `${fmt((r.cpu.serverSystem / Math.max(1e-9, r.cpu.serverTotal)) * 100)}%`,
        fmt((r.cpu.generator * 1e6) / r.deliveries, 2),
      ]);
    parts.push(
      table(['scenario', 'server', 'server CPU µs/msg by process', 'in kernel', 'generator µs/msg'], body, [
        false,
        false,
        false,
        true,
        true,
      ]),
    );
  }
  if (idle.length > 0) {
    const body = idle.flatMap((r) =>
      r.steps.map((s) => [
        r.target,
        fmt(s.connections),
        fmt(s.rss / 2 ** 20, 1),
        fmt(s.bytesPerConnection / 1000, 2),
        fmt(r.baselineRss / 2 ** 20, 1),
      ]),
    );
    parts.push(table(['idle', 'connections', 'RSS MiB', 'KB/conn', 'RSS at 0'], body, [false, true, true, true, true]));
    const stopped = idle
      .filter((r) => r.stoppedBy)
      .map((r) => `idle on ${r.target} stopped at ${fmt(r.largest)}: ${r.stoppedBy}`);
    if (stopped.length > 0) parts.push(stopped.join('\n'));
  }
  parts.push(
    table(
      ['target', 'measured', 'result', 'detail'],
      checks.map((c) => [
        c.name,
        c.measured === null ? '—' : fmt(c.measured, 3),
        c.met === null ? 'not measured' : `${c.met ? 'MET' : 'MISSED'}: ${c.verdict}`,
        c.detail,
      ]),
      [false, true, false, false],
    ),
  );
  return parts.join('\n\n') + '\n';
}
