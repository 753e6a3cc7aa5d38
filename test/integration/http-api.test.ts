// The HTTP push API as a real process, exercised with a real HTTP client (fetch).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.28';
const TOKEN = 'api-token-123';
const BASE = `http://${HOST}:8080`;
const cluster = new Cluster({ host: HOST, gateways: 2, workers: 1, secret: 'api-secret' });
const clients: TestClient[] = [];
const is = (value: unknown) => (data: unknown) => JSON.stringify(data) === JSON.stringify(value);

async function api(method: string, path: string, body?: unknown, token = TOKEN) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('HTTP push API', () => {
  let a: Awaited<ReturnType<typeof TestClient.connect>>;
  let b: Awaited<ReturnType<typeof TestClient.connect>>;

  before(async () => {
    await cluster.start();
    const server = new RoleProcess(
      'api',
      ['api', '--listen', `${HOST}:8080`, '--register', cluster.registerAddress, '--max-body', '2048'],
      { SWITCHBOARD_SECRET: 'api-secret', SWITCHBOARD_API_TOKEN: TOKEN },
      [],
      { ipc: true },
    );
    await server.ready();
    a = await TestClient.connect(cluster.wsUrl(0));
    b = await TestClient.connect(cluster.wsUrl(1));
    clients.push(a, b);
    await a.call('bindUid', '$self', '42');
    await b.call('bindUid', '$self', '42');
    await b.call('joinGroup', '$self', 'room-7');
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('pushes to a uid on both gateways and says how many clients got it', async () => {
    const res = await api('POST', '/v1/send-to-uid', { uid: '42', data: { text: 'hi' } });
    assert.deepEqual(res, { status: 200, json: { ok: true, delivered: 2 } });
    await a.next(is({ text: 'hi' }));
    await b.next(is({ text: 'hi' }));
  });

  it('answers an unknown uid with 200 and delivered: 0', async () => {
    assert.deepEqual(await api('POST', '/v1/send-to-uid', { uid: 'nobody', data: 'x' }), {
      status: 200,
      json: { ok: true, delivered: 0 },
    });
  });

  it('serves queries as GET shortcuts and as POST calls', async () => {
    assert.deepEqual((await api('GET', '/v1/uids/42/online')).json, { ok: true, result: true });
    assert.deepEqual((await api('GET', '/v1/uids/7/online')).json, { ok: true, result: false });
    assert.deepEqual((await api('GET', '/v1/clients/count')).json, { ok: true, result: 2 });
    assert.deepEqual((await api('GET', '/v1/groups/room-7/clients')).json, { ok: true, result: [b.clientId] });
    assert.deepEqual((await api('GET', `/v1/clients/${a.clientId}/uid`)).json, { ok: true, result: '42' });
    assert.deepEqual((await api('POST', '/v1/is-uids-online', { uids: ['42', '7'] })).json, {
      ok: true,
      result: { '42': true, '7': false },
    });
    assert.equal((await api('GET', '/v1/health')).status, 200);
  });

  it('runs a batch in order: a join followed by a group send reaches the new member', async () => {
    const res = await api('POST', '/v1/batch', {
      calls: [
        { call: 'join-group', clientId: a.clientId, group: 'room-7' },
        { call: 'send-to-group', group: 'room-7', data: 'batch', exclude: [b.clientId] },
        { call: 'no-such-call' },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.result.slice(0, 2), [{ ok: true }, { ok: true, delivered: 1 }]);
    assert.equal(res.json.result[2].error.code, 'SB_ERR_NOT_FOUND');
    await a.next(is('batch'));
    await b.nothing(is('batch'), 100);
  });

  it('refuses a wrong or missing token with 401', async () => {
    const wrong = await api('POST', '/v1/send-to-uid', { uid: '42', data: 'x' }, 'wrong');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, 'SB_ERR_UNAUTHORIZED');
    const res = await fetch(`${BASE}/v1/clients/count`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    await a.nothing(is('x'), 100);
  });

  it('answers a malformed body with 400 and a code, and a missing parameter too', async () => {
    const bad = await api('POST', '/v1/send-to-uid', '{"uid": 42,');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'SB_ERR_BAD_JSON');
    const missing = await api('POST', '/v1/send-to-uid', { data: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.code, 'SB_ERR_INVALID_ARGUMENT');
    assert.match(missing.json.error.message, /needs "uid"/);
    const wrongType = await api('POST', '/v1/bind-uid', { clientId: a.clientId, uid: { no: 1 } });
    assert.equal(wrongType.json.error.code, 'SB_ERR_INVALID_ARGUMENT');
  });

  it('answers an oversize body with 413, even without Content-Length', async () => {
    const big = await api('POST', '/v1/send-to-uid', { uid: '42', data: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'SB_ERR_BODY_TOO_LARGE');
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${BASE}/v1/send-to-uid`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(500));
      req.end();
    });
    assert.equal(chunked, 413);
  });

  it('answers an unknown endpoint with 404', async () => {
    assert.equal((await api('GET', '/v1/nothing-here')).status, 404);
    assert.equal((await api('DELETE', '/v1/send-to-uid')).status, 404);
  });
});
