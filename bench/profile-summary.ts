/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --profile DIR`): where the
 * process spent its time, by package or source folder and by function, self and inclusive.
 *
 *   node --import tsx bench/profile-summary.ts DIR/gateway-0.cpuprofile DIR/worker-0.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, a folder of this repository, Node itself, or a V8 pseudo-frame. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  const local = /\/(gateway|business|shared|register|cli|api|bench|bin)\/([^/]+)$/.exec(url);
  if (local) return `${local[1]}/${local[2]}`;
  return url;
}

function frameKey(frame: CallFrame): string {
  const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'} ${where}`.trim();
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const local = /\/((?:gateway|business|shared|register|cli|api|bench|bin)\/[^/]+)$/.exec(url);
  return local ? local[1]! : url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle: everything but the `(idle)` pseudo-frame. */
  busyMs: number;
  byArea: [string, number][];
  selfByFunction: [string, number][];
  inclusiveByFunction: [string, number][];
}

/** Self and inclusive time per function and per area, in ms, busiest first. */
export function summarise(file: string, profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const area = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  let idle = 0;
  // Depth-first with the keys on the current stack, so recursion is not counted twice inclusively.
  const onStack = new Map<string, number>();
  const walk = (id: number): number => {
    const node = byId.get(id)!;
    const key = frameKey(node.callFrame);
    const own = selfMs.get(id) ?? 0;
    total += own;
    if (node.callFrame.functionName === '(idle)') idle += own;
    add(self, key, own);
    add(area, areaOf(node.callFrame.url, node.callFrame.functionName), own);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    let sum = own;
    for (const child of node.children ?? []) sum += walk(child);
    const depth = onStack.get(key)! - 1;
    if (depth === 0) onStack.delete(key);
    else onStack.set(key, depth);
    if (depth === 0) add(inclusive, key, sum);
    return sum;
  };
  walk(profile.nodes[0]!.id);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const pseudo = /^\((root|idle|program)\)/;
  return {
    file,
    totalMs: total,
    busyMs: total - idle,
    byArea: sorted(area).filter(([k]) => k !== '(idle)'),
    selfByFunction: sorted(self).filter(([k]) => !pseudo.test(k)),
    inclusiveByFunction: sorted(inclusive).filter(([k]) => !pseudo.test(k)),
  };
}

export function formatSummary(s: ProfileSummary, top: number): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%`;
  const list = (rows: [string, number][]) => rows.slice(0, top).map(([k, ms]) => `  ${pct(ms)}  ${k}`);
  return [
    `${basename(s.file)}: ${(s.busyMs / 1000).toFixed(2)} s busy of ${(s.totalMs / 1000).toFixed(2)} s sampled (percentages of busy time)`,
    'by area (self time):',
    ...list(s.byArea),
    'by function, self:',
    ...list(s.selfByFunction),
    'by function, inclusive:',
    ...list(s.inclusiveByFunction),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--top');
  const top = t >= 0 ? Number(args.splice(t, 2)[1]) : 25;
  if (args.length === 0) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile... [--top N]\n');
    process.exit(2);
  }
  for (const file of args) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(formatSummary(summarise(file, profile), top) + '\n');
  }
}
