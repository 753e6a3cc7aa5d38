import type { IncomingMessage, ServerResponse } from 'node:http';

/** One readiness condition: null when it holds, else why not (`no business worker linked`). */
export type ReadinessCheck = () => string | null;

/**
 * Liveness and readiness of one process, for an orchestrator's probes, answered the way kube-apiserver
 * answers its own: `GET /livez` and `GET /readyz`, 200 when every check passes and 503 otherwise, with one
 * line per check (`[+]registers ok`, `[-]workers failed: no business worker linked`) and a verdict line.
 *
 * Live means the event loop answers: a process that can run this handler is alive, so `/livez` only fails
 * while the process is shutting down for good. Ready means it can do its job: each role adds its checks.
 */
export class Health {
  private readonly checks: [name: string, check: ReadinessCheck][] = [];
  /** Set when the process is on its way out (a drain): live until it exits, never ready again. */
  stopping: string | null = null;

  /** Adds a readiness check, reported under `name`. */
  add(name: string, check: ReadinessCheck): this {
    this.checks.push([name, check]);
    return this;
  }

  /** Every check, in order: null for passed, else the reason. */
  results(): [name: string, failure: string | null][] {
    const out: [string, string | null][] = this.checks.map(([name, check]) => [name, check()]);
    out.push(['shutdown', this.stopping]);
    return out;
  }

  get ready(): boolean {
    return this.results().every(([, failure]) => failure === null);
  }

  /**
   * Answers `/livez` and `/readyz` (GET or HEAD); returns false for any other path, which the caller serves.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/livez' && path !== '/readyz') return false;
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };
    if (path === '/livez') {
      res.writeHead(200, headers).end('[+]ping ok\nlivez check passed\n');
      return true;
    }
    const results = this.results();
    const lines = results.map(([name, failure]) =>
      failure === null ? `[+]${name} ok` : `[-]${name} failed: ${failure}`,
    );
    const ok = results.every(([, failure]) => failure === null);
    lines.push(ok ? 'readyz check passed' : 'readyz check failed');
    res.writeHead(ok ? 200 : 503, headers).end(`${lines.join('\n')}\n`);
    return true;
  }
}
