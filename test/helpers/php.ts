import { execFile } from 'node:child_process';
import { FIXTURES } from './processes.ts';

/** One call's outcome in the PHP test client: its return value, or the message of what it threw. */
export type PhpResult = { ok?: unknown; error?: string };
export type PhpCall = [string, ...unknown[]];

/**
 * Runs calls of the PHP test client (test/fixtures/gatewayworker-client.php, which speaks GatewayWorker's
 * protocol as GatewayClient does) in a `php` process against `register`; resolves with one result per call.
 */
export function runPhp(register: string, secret: string, calls: PhpCall[]): Promise<PhpResult[]> {
  const input = JSON.stringify({ register, secret, calls });
  return new Promise((resolve, reject) => {
    execFile('php', [`${FIXTURES}gatewayworker-run.php`, input], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        return reject(missing ? new Error('php is missing: apt-get install php-cli (test/setup.sh does it)') : err);
      }
      try {
        resolve(JSON.parse(stdout) as PhpResult[]);
      } catch {
        reject(new Error(`PHP printed ${stdout} ${stderr}`));
      }
    });
  });
}
