// TLS on internal links: a cluster whose register and inner ports speak TLS with a shared CA, and strangers
// without the CA's certificate refused.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.36';
const TLS_DIR = `${FIXTURES}tls/`;
const tlsFlags = (name = 'node', ca = 'ca.crt') => [
  ...['--tls-cert', `${TLS_DIR}${name}.crt`, '--tls-key', `${TLS_DIR}${name}.key`, '--tls-ca', `${TLS_DIR}${ca}`],
];
const cluster = new Cluster({
  host: HOST,
  gateways: 2,
  workers: 1,
  secret: 'tls-secret',
  registerArgs: tlsFlags(),
  gatewayArgs: tlsFlags(),
  workerArgs: tlsFlags(),
});
const clients: TestClient[] = [];

describe('TLS on internal links', () => {
  before(async () => {
    await cluster.start();
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('carries the whole cluster over TLS', async () => {
    const a = await TestClient.connect(cluster.wsUrl(0));
    const b = await TestClient.connect(cluster.wsUrl(1));
    clients.push(a, b);
    await b.call('bindUid', '$self', 'u');
    await a.call('sendToUid', 'u', 'over tls');
    await b.next((d) => d === 'over tls');
    assert.equal(await a.call('getAllClientIdCount'), 2);
  });

  it('speaks no plaintext on the register and inner ports', async () => {
    for (const port of [1236, 2900]) {
      const socket = connect({ host: HOST, port });
      let received = 0;
      socket.on('data', (d) => (received += d.length));
      socket.on('error', () => {});
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
      // A plain listener would have sent its Hello (the challenge) at once.
      assert.equal(received, 0, `port ${port} waited for a TLS ClientHello`);
    }
  });

  it('refuses a worker whose certificate is not from the cluster CA, and one without TLS', async () => {
    const env = { SWITCHBOARD_SECRET: 'tls-secret' };
    const args = ['business', '--register', cluster.registerAddress, '--events', `${FIXTURES}api-app.ts`];
    const register = cluster.register;
    const mark = register.lines.length;
    const stranger = new RoleProcess('stranger', [...args, ...tlsFlags('other', 'other.crt')], env);
    const refused = await stranger.waitForLine('with an SB_ code', (l) => String(l.code).startsWith('SB_'));
    assert.match(String(refused.msg), /certificate|self.signed|verify/i);
    await register.waitForCode('SB_ERR_AUTH_FAILED', 10_000, (l) => register.lines.indexOf(l) >= mark);
    await stranger.kill();
    // Without TLS it waits for a Hello that never comes: each attempt times out (quickly, for the test).
    const plain = new RoleProcess('plain', [...args, '--handshake-timeout', '300'], env, [], { ipc: true });
    await plain.waitForCode('SB_ERR_AUTH_TIMEOUT', 15_000);
    assert.equal(plain.logged('connected to register').length, 0);
    assert.equal((await plain.stats()).gateways, 0);
    await plain.kill();
    const c = await TestClient.connect(cluster.wsUrl(0));
    clients.push(c);
    assert.equal(await c.call('isOnline', '$self'), true);
  });
});
