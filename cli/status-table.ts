import type { ProcessStatus } from './supervisor.ts';

const MB = 1024 * 1024;

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h${m}m` : m ? `${m}m${s}s` : `${s}s`;
}

/** An event's age: `850ms`, `12.4s`, then as an uptime. */
function age(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return duration(Math.round(ms / 1000));
}

const columns: [title: string, cell: (p: ProcessStatus) => unknown][] = [
  [
    'ROLE',
    (p) => (p.index > 0 || p.role === 'gateway' || p.role === 'business' ? `${p.label ?? p.role}#${p.index}` : p.role),
  ],
  ['PID', (p) => p.pid ?? 'down'],
  ['UPTIME', (p) => (p.pid ? duration(p.uptime) : '-')],
  ['CONNS', (p) => p.connections],
  ['UIDS', (p) => p.uids],
  ['GROUPS', (p) => p.groups],
  ['IN/s', (p) => p.messagesInPerSec],
  ['OUT/s', (p) => p.messagesOutPerSec],
  ['MEM', (p) => (p.rss == null ? undefined : `${(p.rss / MB).toFixed(1)} MB`)],
  ['IN FLIGHT', (p) => p.inFlight],
  // The age of the worker's oldest running event, hung (timed-out) handlers included.
  ['OLDEST', (p) => (typeof p.oldestEventMs === 'number' && p.oldestEventMs > 0 ? age(p.oldestEventMs) : undefined)],
  [
    'HANDLER ms',
    (p) =>
      typeof p.eventsHandled === 'number' && p.eventsHandled > 0
        ? ((p.handlerMs as number) / p.eventsHandled).toFixed(2)
        : undefined,
  ],
  ['TIMEOUTS', (p) => p.handlerTimeouts],
  ['STATE', (p) => p.state],
];

/** `switchboard status` as a table: one row per process, `-` where a figure does not apply to the role. */
export function formatStatus(processes: ProcessStatus[]): string {
  const rows = [
    columns.map(([title]) => title),
    ...processes.map((p) => columns.map(([, cell]) => String(cell(p) ?? '-'))),
  ];
  const widths = columns.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
