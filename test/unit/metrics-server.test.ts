import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../shared/logger.ts';
import { serveMetrics } from '../../shared/metrics-server.ts';
import { until } from '../helpers/wait.ts';

describe('serveMetrics', () => {
  it('waits for a busy port and, once it is free, says it listens once', async () => {
    const holder: Server = createServer();
    holder.listen({ port: 0, host: '127.0.0.1', exclusive: true });
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    const lines: string[] = [];
    const log = createLogger({}, 'info', (line) => lines.push(line));
    const server = serveMetrics(new Registry(), { host: '127.0.0.1', port }, log);
    try {
      // Several failed attempts (one every 500 ms) before the port frees.
      await new Promise((r) => setTimeout(r, 1_700));
      holder.close();
      await until('the metrics server listens', () => server.listening, Boolean, { timeoutMs: 5_000 });
      await new Promise((r) => setTimeout(r, 100));
      const said = (text: string) => lines.filter((line) => line.includes(text)).length;
      assert.equal(said('is busy; retrying'), 1);
      assert.equal(said('metrics on http://'), 1);
    } finally {
      holder.close();
      server.close();
    }
  });
});
