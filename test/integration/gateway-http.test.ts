// The gateway's public port as a browser sees it: plain HTTP for the client library and the demo page (with
// --demo), WebSocket upgrades for clients, on the same address. Real gateway processes, real requests.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

// Gateway 0 serves the demo page, gateway 1 does not.
const cluster = new Cluster({ host: '127.0.0.41', gateways: 2, workers: 1 });
const clients: TestClient[] = [];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a fresh connection (no keep-alive left behind). */
function fetchText(gateway: number, path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: cluster.layout.host, port: 7272 + gateway, path, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('gateway HTTP routes', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.waitFor('register listening');
    cluster.layout.gatewayArgs = ['--demo'];
    cluster.startGateway(0);
    cluster.layout.gatewayArgs = [];
    cluster.startGateway(1);
    for (const gateway of cluster.gateways) await gateway.waitFor('connected to register');
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('serves the demo page with --demo, and logs where', async () => {
    await cluster.gateways[0]!.waitFor('demo chat page on http://127.0.0.41:7272/');
    const page = await fetchText(0, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.body, /<script type="module" src="\/demo\/chat.js">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    const script = await fetchText(0, '/demo/chat.js?v=1');
    assert.equal(script.status, 200);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(script.body, /from '..\/client\/index.js'/);
    assert.equal((await fetchText(0, '/demo/chat.css')).headers['content-type'], 'text/css; charset=utf-8');
  });

  it('serves the browser client library on every gateway under /client/, importable from other origins', async () => {
    for (const gateway of [0, 1]) {
      const index = await fetchText(gateway, '/client/index.js');
      assert.equal(index.status, 200);
      assert.equal(index.headers['access-control-allow-origin'], '*');
      assert.match(index.body, /export \{\s*SwitchboardClient/);
      // Every module index.js imports is served too.
      for (const [, name] of index.body.matchAll(/from '\.\/([a-z-]+\.js)'/g)) {
        assert.equal((await fetchText(gateway, `/client/${name}`)).status, 200, name);
      }
    }
    assert.equal((await fetchText(1, '/client/tsconfig.json')).status, 404, 'only the modules');
    assert.equal((await fetchText(1, '/browser-client/index.js')).status, 404, 'the URL path is /client/');
  });

  it('answers 304 to a browser that has the file, and HEAD without a body', async () => {
    const first = await fetchText(0, '/client/switchboard-client.js');
    const etag = String(first.headers.etag);
    assert.match(etag, /^".+"$/);
    const again = await fetchText(0, '/client/switchboard-client.js', 'GET', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const head = await fetchText(0, '/', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 0);
  });

  it('answers unknown paths with 404 and other methods with 405, saying what the port is for', async () => {
    const noDemo = await fetchText(1, '/');
    assert.equal(noDemo.status, 404, 'no demo page without --demo');
    assert.match(noDemo.body, /connect a WebSocket client/);
    for (const path of ['/nope', '/../package.json', '/demo/../../package.json', '/client/../cli/main.ts']) {
      assert.equal((await fetchText(0, path)).status, 404, path);
    }
    const post = await fetchText(0, '/', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('still takes WebSocket clients on the same port, on any path', async () => {
    for (const path of ['/', '/client/index.js', '/anything?token=1']) {
      const client = await TestClient.connect(cluster.wsUrl(0, path));
      clients.push(client);
      assert.equal(await client.call('isOnline', '$self'), true, path);
      client.close();
    }
  });
});
