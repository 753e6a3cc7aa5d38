// Reading a process's Prometheus metrics (the gateway's public port, or any `--metrics-listen` address) the way
// a scraper would, so a test can wait on what the process counts instead of on what it logs.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { until } from './wait.ts';

export interface ScrapeOptions {
  /** CA to trust for an https:// URL. */
  ca?: Buffer;
  /** @default 2000 */
  timeoutMs?: number;
}

/** The text a GET of `url` answers (a /metrics page); rejects on a status other than 200 or after `timeoutMs`. */
export function scrape(url: string, { ca, timeoutMs = 2000 }: ScrapeOptions = {}): Promise<string> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A fresh connection each time, closed after the answer: nothing stays open between scrapes.
    const req = request(url, { agent: false, ca, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${url}: ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One sample of a metric: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` (exactly that name: no `_bucket`/`_sum` suffix added) in a Prometheus text page. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

/**
 * The value of metric `name`: the sum of its samples whose labels include `labels`, or undefined when there is
 * no such sample (a labelled series that is not there, or a metric the page does not have).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const matching = samples(text, name).filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

export interface WaitForMetricOptions extends ScrapeOptions {
  /** Only samples with these labels count. */
  labels?: Record<string, string>;
  /** @default 10_000 */
  waitMs?: number;
}

/**
 * Scrapes `url` until the value of metric `name` (see metricValue) passes `test`, and resolves with it; bounded
 * in time (`waitMs`) and count (one scrape per 50 ms at most).
 */
export function waitForMetric(
  url: string,
  name: string,
  test: (value: number | undefined) => boolean,
  { labels = {}, waitMs = 10_000, ...scrapeOptions }: WaitForMetricOptions = {},
): Promise<number | undefined> {
  const series = Object.keys(labels).length ? `${name}${JSON.stringify(labels)}` : name;
  return until(`${series} at ${url}`, async () => metricValue(await scrape(url, scrapeOptions), name, labels), test, {
    timeoutMs: waitMs,
  });
}

/** The metric families a Prometheus text page declares (its `# TYPE` lines): name -> type. */
export function metricFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/gm)) {
    families.set(name!, type!);
  }
  return families;
}
