import { LOSS_CAUSES, type AccountingSummary } from './accounting.ts';
import { fmt, type DoneFault } from './fault-runner.ts';
import { faultTarget, type PlannedFault } from './fault-schedule.ts';
import { memoryTrend, type TrendOptions, type TrendVerdict } from './memory-trend.ts';
import type { SampledProcess } from './process-sampler.ts';

/** Everything a soak found, as `--report FILE` writes it (JSON) and as the summary prints it. */
export interface SoakReport {
  seed: number;
  settings: Record<string, unknown>;
  /** ms of load */
  duration: number;
  plan: PlannedFault[];
  faults: DoneFault[];
  messages: AccountingSummary;
  memory: MemoryRow[];
  /** `switchboard_worker_handler_timeouts_total` over every worker (0 when no worker serves it). */
  handlerTimeouts: { value: number; served: boolean };
  /** `switchboard_gateway_lost_events_total` over every gateway: the gateways' own count of events lost with workers. */
  gatewayLostEvents: { value: number; served: boolean };
  /** What makes the run fail; empty when it passed. */
  failures: string[];
  ok: boolean;
}

export interface MemoryRow {
  name: string;
  pid: number;
  samples: number;
  /** ms since the load started */
  from: number;
  to: number;
  firstRss: number;
  lastRss: number;
  maxRss: number;
  trend: TrendVerdict;
}

export function memoryRows(processes: Iterable<SampledProcess>, trend: TrendOptions): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (const p of processes) {
    if (p.samples.length === 0) continue;
    rows.push({
      name: p.name,
      pid: p.pid,
      samples: p.samples.length,
      from: p.samples[0]!.at,
      to: p.samples.at(-1)!.at,
      firstRss: p.samples[0]!.rss,
      lastRss: p.samples.at(-1)!.rss,
      maxRss: Math.max(...p.samples.map((s) => s.rss)),
      trend: memoryTrend(p.samples, trend),
    });
  }
  const order = (name: string) => ['supervisor', 'register', 'gateway', 'business'].indexOf(name.split('#')[0]!);
  return rows.sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name) || a.from - b.from);
}

/** The reasons a run fails: a loss no doc allows, a duplicate, a reordering, growing memory, a broken fault. */
export function failuresOf(report: Omit<SoakReport, 'failures' | 'ok'>): string[] {
  const m = report.messages;
  const failures: string[] = [];
  if (m.sent === 0) failures.push('no message was sent');
  if (m.lostUndocumented > 0) failures.push(`${m.lostUndocumented} message(s) lost without a documented cause`);
  if (m.duplicated > 0) failures.push(`${m.duplicated} message(s) delivered more than once`);
  if (m.reordered > 0) failures.push(`${m.reordered} message(s) delivered out of order`);
  if (m.misdelivered > 0) failures.push(`${m.misdelivered} delivery(ies) that match nothing sent to that uid`);
  for (const row of report.memory) {
    if (row.trend.judged && row.trend.growing) failures.push(`memory of ${row.name} (pid ${row.pid}) keeps growing`);
  }
  for (const f of report.faults) {
    if (f.error) failures.push(`${f.kind} ${faultTarget(f)} at ${fmt(f.startedAt)} failed: ${f.error}`);
    else if (f.recoveredIn === null) failures.push(`the cluster did not recover from ${f.kind} ${faultTarget(f)}`);
  }
  return failures;
}

const n = (v: number) => v.toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)}`;
const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(3)}%` : '-');

/** The plan, printed before the run so it can be compared with another run of the same seed. */
export function formatPlan(seed: number, plan: readonly PlannedFault[]): string {
  const lines = [`fault schedule (seed ${seed}): ${plan.length} faults`];
  for (const f of plan) lines.push(`  ${fmt(f.at).padStart(8)}  ${f.kind.padEnd(7)} ${faultTarget(f)}`);
  return lines.join('\n');
}

/** The summary printed at the end. */
export function formatReport(r: SoakReport): string {
  const m = r.messages;
  const out: string[] = [];
  out.push('', `soak summary (seed ${r.seed}, ${fmt(r.duration)} of load)`);
  out.push('', 'messages');
  const row = (label: string, value: number, extra = '') =>
    out.push(`  ${label.padEnd(38)} ${n(value).padStart(12)}  ${extra}`);
  const wanted = Number(r.settings.clients) * Number(r.settings.rate);
  row(
    'sent',
    m.sent,
    `${n(Math.round(m.sent / (r.duration / 1000)))}/s (${n(wanted)}/s asked; a client sends only while connected, on time only when the CPU allows)`,
  );
  row('delivered', m.delivered, pct(m.delivered, m.sent));
  row('lost, by a documented cause', m.lost - m.lostUndocumented, pct(m.lost - m.lostUndocumented, m.sent));
  for (const cause of LOSS_CAUSES) {
    const count = m.lostDocumented[cause.id];
    if (count > 0) out.push(`    ${n(count).padStart(10)}  ${cause.what}\n                ${cause.doc}`);
  }
  row('lost, no documented cause', m.lostUndocumented);
  row('duplicated', m.duplicated);
  row('reordered', m.reordered);
  row('misdelivered', m.misdelivered);
  out.push(`  latency ms: p50 ${m.latency.p50}, p99 ${m.latency.p99}, max ${m.latency.max}`);
  out.push(`  connections opened: ${n(m.connectionsOpened)} (${r.settings.clients} at the start)`);
  for (const u of m.unexplained) {
    out.push(`  unexplained: u${u.from} seq ${u.seq} -> u${u.to}, sent at ${fmt(u.sentAt)}: ${u.why}`);
  }
  out.push('', `faults: ${r.faults.length} of ${r.plan.length} planned`);
  const kinds = new Map<string, DoneFault[]>();
  for (const f of r.faults) {
    const key = `${f.kind} ${f.kind === 'reload' ? 'business' : f.role}`;
    kinds.set(key, [...(kinds.get(key) ?? []), f]);
  }
  for (const [key, faults] of [...kinds].sort()) {
    const times = faults.flatMap((f) => (f.recoveredIn === null ? [] : [f.recoveredIn]));
    const worst = times.length ? fmt(Math.max(...times)) : '-';
    out.push(`  ${key.padEnd(18)} ${String(faults.length).padStart(3)}   recovered in at most ${worst}`);
  }
  const lost = r.gatewayLostEvents;
  out.push(
    `  events lost with killed workers, as the gateways count them (${'switchboard_gateway_lost_events_total'}): ` +
      `${lost.served ? n(lost.value) : 'not served'}; attributed above: ${n(m.lostDocumented['worker-killed'])}`,
  );
  out.push('', 'handler timeouts');
  const t = r.handlerTimeouts;
  out.push(
    `  switchboard_worker_handler_timeouts_total: ${n(t.value)}${t.served ? '' : ' (no worker serves this metric: reported as 0)'}`,
  );
  out.push('', 'memory (RSS, MB; sampled per process, a restarted process is a new row)');
  out.push(
    `  ${'process'.padEnd(12)} ${'pid'.padStart(7)} ${'from'.padStart(8)} ${'to'.padStart(8)} ${'first'.padStart(7)} ${'last'.padStart(7)} ${'max'.padStart(7)}  trend`,
  );
  for (const p of r.memory) {
    const trend = p.trend.judged
      ? `${p.trend.growing ? 'GROWING' : 'flat'} (medians ${mb(p.trend.firstMedian)} then ${mb(p.trend.secondMedian)}, ${mb(p.trend.slope)} MB/min)`
      : `not judged: ${p.trend.reason}`;
    out.push(
      `  ${p.name.padEnd(12)} ${String(p.pid).padStart(7)} ${fmt(p.from).padStart(8)} ${fmt(p.to).padStart(8)} ` +
        `${mb(p.firstRss).padStart(7)} ${mb(p.lastRss).padStart(7)} ${mb(p.maxRss).padStart(7)}  ${trend}`,
    );
  }
  out.push('');
  if (r.ok) out.push('soak passed: every loss has a documented cause, no duplicate, no reordering, memory flat');
  else for (const f of r.failures) out.push(`soak FAILED: ${f}`);
  return out.join('\n');
}
