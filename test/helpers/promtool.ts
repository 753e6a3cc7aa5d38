// Prometheus's own linter for exposition text (`promtool check metrics`, from Debian's prometheus package), run on
// what a role serves at /metrics.
import { spawn } from 'node:child_process';

/** What `promtool check metrics` said of a page: its exit status and everything it printed. */
export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs `promtool check metrics` on `text`; rejects with a clear message when promtool is not installed. */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.stdin.end(text);
  });
}
