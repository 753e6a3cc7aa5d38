import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricValue, scrape, waitForMetric } from './metrics.ts';
import { BIN, FIXTURES, RoleProcess } from './processes.ts';

/**
 * `switchboard start` (register, gateway with the demo page, business worker with the demo chat) on `host`,
 * with the pids of its children read from their log lines, so a test can kill one and see it come back.
 */
export class SwitchboardStart {
  readonly process: RoleProcess;
  /** Its own control socket, so it runs beside any other `start` (another test's, or a developer's). */
  private readonly controlDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
  /** The control socket, for `switchboard status|reload|stop` (or `controlRequest`). */
  readonly controlPath = join(this.controlDir, 'control.sock');

  /**
   * @param dashboard where `start` serves its dashboard (`HOST:0` for any free port: see `dashboardUrl()`); none
   *   by default, so tests that run `start` side by side do not compete for its default port.
   */
  constructor(
    readonly host: string,
    { dashboard, args = [] }: { dashboard?: string; args?: string[] } = {},
  ) {
    this.process = new RoleProcess('start', [
      'start',
      ...(dashboard ? ['--dashboard', dashboard] : ['--no-dashboard']),
      ...args,
      '--listen',
      `${host}:7272`,
      '--register-listen',
      `${host}:1236`,
      '--lan-ip',
      host,
      '--inner-port',
      '2900',
      '--control',
      this.controlPath,
    ]);
  }

  /** The dashboard's URL, as `start` announced it. */
  async dashboardUrl(timeoutMs = 30_000): Promise<string> {
    const line = await this.process.waitFor('dashboard on', timeoutMs);
    return line.url as string;
  }

  get pageUrl(): string {
    return `http://${this.host}:7272/`;
  }

  /** Resolves once the gateway has the worker linked (its /metrics says so): the demo works end to end. */
  async ready(timeoutMs = 20_000): Promise<void> {
    const url = `http://${this.host}:7272/metrics`;
    await waitForMetric(url, 'switchboard_gateway_workers', (n) => (n ?? 0) >= 1, { waitMs: timeoutMs });
  }

  /** The pid of the running gateway child (the latest that logged it was listening). */
  gatewayPid(): number {
    const line = this.process.logged('gateway listening').at(-1);
    if (!line) throw new Error('the gateway has not started');
    return line.pid as number;
  }

  /** Kills the gateway child with `signal` and resolves once the supervisor's new one listens on the same port. */
  async restartGateway(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 20_000): Promise<void> {
    const old = this.gatewayPid();
    process.kill(old, signal);
    await this.process.waitFor('gateway listening', timeoutMs, (l) => l.pid !== old);
  }

  /**
   * Stops the supervisor, which stops its children and waits for them. If it does not exit in time, it is killed,
   * and so is each child it ran.
   */
  async stop(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([
      this.process.kill('SIGTERM').then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (clean) return this.removeControlDir();
    await this.process.kill('SIGKILL');
    const children = new Set(this.process.lines.map((l) => l.pid as number));
    children.delete(this.process.proc.pid!);
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // That one had exited.
      }
    }
    this.removeControlDir();
  }

  private removeControlDir(): void {
    rmSync(this.controlDir, { recursive: true, force: true });
  }
}

/**
 * `switchboard start` with the integration tests' app on `host` (gateways on 7272, register on 1236, gateway i's
 * metrics on 9400 + i, worker j's on 9500 + j), resolved once it said it started. By then every worker must be
 * linked to every gateway: that is what "started" promises.
 */
export async function startApiApp(
  host: string,
  { gateways, workers, control }: { gateways: number; workers: number; control: string },
): Promise<RoleProcess> {
  const start = new RoleProcess('start', [
    'start',
    '--no-dashboard',
    ...['--listen', `${host}:7272`, '--register-listen', `${host}:1236`, '--lan-ip', host],
    ...['--gateways', String(gateways), '--workers', String(workers), '--events', `${FIXTURES}api-app.ts`],
    ...['--metrics-listen', `${host}:9400`, '--control', control],
  ]);
  await start.waitFor('switchboard started', 30_000);
  for (let j = 0; j < workers; j++) {
    const linked = metricValue(
      await scrape(`http://${host}:${9500 + j}/metrics`),
      'switchboard_worker_gateways_linked',
    );
    assert.equal(linked, gateways, `worker ${j} links ${linked} of ${gateways} gateways once started`);
  }
  return start;
}

/**
 * Runs a control command (`status`, `reload`, `stop`) against the `start` listening on `controlPath`, the way a
 * user would, from another process; resolves with its stdout once it exited 0 (SIGKILLed after `timeoutMs`).
 * Asynchronous, so a test's clients keep sending meanwhile.
 */
export function controlCommand(controlPath: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const proc = spawn(process.execPath, [BIN, ...args, '--control', controlPath]);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(killer);
      assert.equal(code, 0, `switchboard ${args.join(' ')}: ${stderr}`);
      resolve(stdout);
    }),
  );
}
