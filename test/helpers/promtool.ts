// Prometheus's own linter for exposition text (`promtool check metrics`, from Debian's prometheus package), run on
// what a role serves at /metrics.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `promtool check metrics` said of a page: its exit status and everything it printed. */
export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs `promtool check metrics` on `text`; rejects with a clear message when promtool is not installed. */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return promtool(['check', 'metrics'], text);
}

/**
 * Runs `promtool check rules` on recording rules made of `exprs`, which makes Prometheus's own parser read each
 * PromQL expression (a rules file in JSON, which YAML reads as it is).
 */
export async function promtoolCheckExpressions(exprs: readonly string[]): Promise<PromtoolResult> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-promql-'));
  try {
    const file = join(dir, 'rules.yml');
    const rules = exprs.map((expr, i) => ({ record: `switchboard:check_${i}`, expr }));
    await writeFile(file, JSON.stringify({ groups: [{ name: 'check', rules }] }));
    return await promtool(['check', 'rules', file], '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function promtool(args: string[], input: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error('promtool is missing: apt-get install prometheus (test/setup.sh does it)')
          : err,
      );
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output: output.trim() });
    });
    child.stdin.on('error', () => {}); // promtool exiting early is reported by its status
    child.stdin.end(input);
  });
}
