// Liveness and readiness probes on every role (/livez, /readyz), and the gateway's drain on SIGTERM.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.53';

/** Status and body of a GET, or the error code of a connection that failed. */
function probe(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}
const status = async (url: string) => {
  const answer = await probe(url);
  return 'status' in answer ? answer.status : 0;
};

describe('readiness probes and the gateway drain', () => {
  const cluster = new Cluster({
    host: HOST,
    gateways: 2,
    workers: 0,
    registerArgs: ['--metrics-listen', `${HOST}:9236`],
    gatewayArgs: ['--drain-time', '600'],
    workerArgs: ['--metrics-listen', `${HOST}:9300`],
  });
  const registerProbe = (path: string) => `http://${HOST}:9236${path}`;
  const gatewayProbe = (g: number, path: string) => `http://${HOST}:${7272 + g}${path}`;
  const workerProbe = (path: string) => `http://${HOST}:9300${path}`;
  const clients: TestClient[] = [];

  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    cluster.startGateway(0);
    cluster.startGateway(1);
    await cluster.registerKnows(2);
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await killAll();
  });

  it('a register is live and ready as soon as it listens, and serves its metrics beside', async () => {
    assert.deepEqual(await probe(registerProbe('/livez')), { status: 200, body: '[+]ping ok\nlivez check passed\n' });
    const ready = await probe(registerProbe('/readyz'));
    assert.ok('status' in ready && ready.status === 200, JSON.stringify(ready));
    assert.match(ready.body, /readyz check passed/);
    const metrics = await probe(registerProbe('/metrics'));
    assert.ok('body' in metrics && /switchboard_register_gateways 2/.test(metrics.body));
  });

  it('a gateway is live but not ready until a business worker links to it', async () => {
    assert.equal(await status(gatewayProbe(0, '/livez')), 200);
    const answer = await probe(gatewayProbe(0, '/readyz'));
    assert.ok('status' in answer, JSON.stringify(answer));
    assert.equal(answer.status, 503);
    assert.match(answer.body, /^\[\+\]registers ok$/m);
    assert.match(answer.body, /^\[-\]workers failed: no business worker linked$/m);
    assert.match(answer.body, /readyz check failed\n$/);
  });

  it('a worker is ready once linked to a register and every gateway; then the gateways are ready too', async () => {
    cluster.startWorker(0);
    await until(
      'worker ready',
      () => status(workerProbe('/readyz')),
      (s) => s === 200,
      { timeoutMs: 20_000 },
    );
    const answer = await probe(workerProbe('/readyz'));
    assert.ok('body' in answer && /^\[\+\]gateways ok$/m.test(answer.body), JSON.stringify(answer));
    for (const g of [0, 1]) {
      await until(
        `gateway ${g} ready`,
        () => status(gatewayProbe(g, '/readyz')),
        (s) => s === 200,
      );
    }
  });

  it('SIGTERM drains a gateway: not ready, no new clients, every client told 1012, close events handled, exit 0', async () => {
    for (let i = 0; i < 5; i++) clients.push(await TestClient.connect(cluster.wsUrl(0)));
    const gateway = cluster.gateways[0]!;
    const started = Date.now();
    gateway.proc.kill('SIGTERM');
    const first = await Promise.race(clients.map((c) => c.closed));
    assert.equal(first, 1012);
    // The public port no longer accepts: a new client cannot even connect.
    const refused = new TestClient(cluster.wsUrl(0));
    await assert.rejects(refused.opened, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    const codes = await Promise.all(clients.map((c) => c.closed));
    assert.deepEqual(codes, [1012, 1012, 1012, 1012, 1012]);
    assert.equal(await gateway.exited, 0);
    // Closes were spread over the drain time (600 ms), not sent in one go.
    assert.ok(Date.now() - started >= 300, `drain took ${Date.now() - started} ms`);
    await gateway.waitFor('drained: every client closed and its close event handled');
    // The worker forgets the gateway that left and stays ready with the other one.
    await until(
      'worker ready again',
      () => status(workerProbe('/readyz')),
      (s) => s === 200,
    );
    const other = await TestClient.connect(cluster.wsUrl(1));
    clients.push(other);
  });

  it('without a register, a gateway and a worker are live but not ready', async () => {
    await cluster.register.kill('SIGKILL');
    await until(
      'gateway 1 not ready',
      () => probe(gatewayProbe(1, '/readyz')),
      (a) => ('body' in a ? a.status === 503 && /^\[-\]registers failed: no register linked$/m.test(a.body) : false),
    );
    await until(
      'worker not ready',
      () => probe(workerProbe('/readyz')),
      (a) => ('body' in a ? a.status === 503 && /^\[-\]gateways failed: no register linked/m.test(a.body) : false),
    );
    assert.equal(await status(workerProbe('/livez')), 200);
    assert.equal(await status(gatewayProbe(1, '/livez')), 200);
  });
});
