// The Grafana dashboard in docs/ and the metric names its PromQL expressions use, so tests can check that every
// one of them is a metric Switchboard serves.
import { readFileSync } from 'node:fs';

export const DASHBOARD_PATH = new URL('../../docs/grafana-dashboard.json', import.meta.url);

/** One PromQL expression of the dashboard and where it is (a panel's title, or a variable's name). */
export interface DashboardQuery {
  where: string;
  expr: string;
}

export function readDashboard(): Record<string, unknown> {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Record<string, unknown>;
}

/** Every PromQL expression of `dashboard`: panel targets and query variables. */
export function dashboardQueries(dashboard: Record<string, any>): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const panels = (list: any[] = []): void => {
    for (const panel of list) {
      for (const target of panel.targets ?? []) out.push({ where: `panel "${panel.title}"`, expr: target.expr });
      panels(panel.panels);
    }
  };
  panels(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // label_values(METRIC{…}, label): the selector is what names a metric.
    const selector = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query)?.[1] ?? query;
    out.push({ where: `variable $${variable.name}`, expr: selector });
  }
  return out;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
const OPERATORS = new Set(['and', 'or', 'unless']);

/**
 * The metric names a PromQL expression selects: every identifier that is not a function (followed by `(`), a
 * keyword or operator, a label name (in `{…}` or in `by (…)` and its kin), a range or a Grafana variable.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const after = bare.slice(match.index + word.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(word) || OPERATORS.has(word)) continue;
    if (/^[0-9]/.test(bare.slice(match.index - 1, match.index))) continue; // the `e` of 1e3
    names.push(word);
  }
  return names;
}

/**
 * Whether `name` is served by a page with these metric families (name -> type): the family itself, or a
 * histogram's `_bucket`, `_sum` or `_count`.
 */
export function isServed(name: string, families: ReadonlyMap<string, string>): boolean {
  if (families.has(name)) return true;
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (!suffix) return false;
  const type = families.get(name.slice(0, -suffix[0].length));
  return type === 'histogram' || (type === 'summary' && suffix[1] !== 'bucket');
}
