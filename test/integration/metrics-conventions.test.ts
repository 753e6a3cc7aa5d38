// Every role's /metrics, scraped from real processes after some traffic, passes `promtool check metrics`, serves
// the standard process and Node.js metrics with the role as a label, and has every metric the Grafana dashboard in
// docs/ charts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { dashboardQueries, isServed, metricNamesIn, readDashboard } from '../helpers/grafana-dashboard.ts';
import { metricFamilies, metricValue, samples, scrape, waitForMetric } from '../helpers/metrics.ts';
import { killAll, RoleProcess } from '../helpers/processes.ts';
import { promtoolCheckExpressions, promtoolCheckMetrics } from '../helpers/promtool.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.119';
const SECRET = 'metrics-secret';
const TOKEN = 'metrics-token';
const API = `http://${HOST}:8117`;
const url = (port: number) => `http://${HOST}:${port}/metrics`;
const cluster = new Cluster({
  host: HOST,
  gateways: 1,
  workers: 1,
  secret: SECRET,
  registerArgs: ['--metrics-listen', `${HOST}:9410`],
  gatewayArgs: ['--metrics-listen', `${HOST}:9412`],
  workerArgs: ['--metrics-listen', `${HOST}:9411`],
});

/** Each page that serves /metrics, with the role its process metrics must be labelled with. */
const PAGES = [
  { what: 'register --metrics-listen', url: url(9410), role: 'register', own: 'switchboard_register_' },
  { what: 'gateway public port', url: cluster.metricsUrl(0), role: 'gateway', own: 'switchboard_gateway_' },
  { what: 'gateway --metrics-listen', url: url(9412), role: 'gateway', own: 'switchboard_gateway_' },
  { what: 'business --metrics-listen', url: url(9411), role: 'business', own: 'switchboard_worker_' },
  { what: 'api --metrics-listen', url: url(9413), role: 'api', own: 'switchboard_api_' },
] as const;

const STANDARD = [
  'process_cpu_user_seconds_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_active_handles_total',
  'nodejs_version_info',
];

describe('metrics that fit Prometheus conventions', () => {
  const clients: TestClient[] = [];
  const pages = new Map<string, string>();

  before(async () => {
    await cluster.start();
    const api = new RoleProcess(
      'api',
      ['api', '--listen', `${HOST}:8117`, '--register', cluster.registerAddress, '--metrics-listen', `${HOST}:9413`],
      { SWITCHBOARD_SECRET: SECRET, SWITCHBOARD_API_TOKEN: TOKEN },
      [],
      { ipc: true },
    );
    await api.ready();

    // Traffic, so that the labelled series (by event, by worker, histogram buckets) exist: a client that binds,
    // joins and gets a push from the HTTP API, and one that connects and leaves.
    const a = await TestClient.connect(cluster.wsUrl(0));
    clients.push(a);
    await a.call('bindUid', '$self', 'u1');
    await a.call('joinGroup', '$self', 'g1');
    const res = await fetch(`${API}/v1/send-to-uid`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ uid: 'u1', data: 'pushed' }),
    });
    assert.equal(res.status, 200);
    await a.next((m) => m === 'pushed');
    // A kept one too, so that the register holds a stream in its embedded history.
    const kept = await fetch(`${API}/v1/send-to-uid`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ uid: 'u1', data: 'kept', keep: true }),
    });
    assert.equal(kept.status, 200);
    await a.next((m) => m === 'kept');
    const b = await TestClient.connect(cluster.wsUrl(0));
    clients.push(b);
    b.close();
    await waitForMetric(url(9411), 'switchboard_worker_events_total', (v) => v === 1, {
      labels: { event: 'close' },
      waitMs: 20_000,
    });
    // prom-client measures nodejs_eventloop_lag_seconds just after a scrape answers, for the next one to serve.
    for (const page of PAGES) await scrape(page.url, { timeoutMs: 10_000 });
    for (const page of PAGES) pages.set(page.url, await scrape(page.url, { timeoutMs: 10_000 }));
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  for (const page of PAGES) {
    it(`${page.what}: promtool check metrics is clean`, async () => {
      const text = pages.get(page.url)!;
      assert.deepEqual(await promtoolCheckMetrics(text), { status: 0, output: '' });
    });

    it(`${page.what}: process and Node.js metrics under their standard names, with role="${page.role}"`, () => {
      const text = pages.get(page.url)!;
      const families = metricFamilies(text);
      for (const name of STANDARD) {
        assert.ok(families.has(name), `${name} missing`);
        const value = metricValue(text, name, { role: page.role });
        assert.ok(value !== undefined && Number.isFinite(value) && value >= 0, `${name}{role="${page.role}"} ${value}`);
        for (const sample of samples(text, name)) assert.equal(sample.labels.role, page.role, name);
      }
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds']) {
        assert.ok(metricValue(text, name, { role: page.role })! > 0, name);
      }
      for (const name of families.keys()) {
        const standard = name.startsWith('process_') || name.startsWith('nodejs_');
        assert.ok(standard || name.startsWith(page.own), `${name}: neither standard nor ${page.own}…`);
        assert.doesNotMatch(name, /^switchboard_[a-z]+_(process|nodejs)_/, `${name}: a prefixed default metric`);
      }
    });
  }

  it('the labelled series of the traffic are there', () => {
    const gateway = pages.get(cluster.metricsUrl(0))!;
    const worker = pages.get(url(9411))!;
    assert.equal(metricValue(gateway, 'switchboard_gateway_protocol_info', { protocol: 'websocket' }), 1);
    assert.ok((metricValue(gateway, 'switchboard_gateway_events_routed_total', { worker: 'w0' }) ?? 0) >= 4);
    assert.ok((metricValue(gateway, 'switchboard_gateway_connections_accepted_total') ?? 0) >= 2);
    assert.equal(metricValue(gateway, 'switchboard_gateway_uids'), 1);
    for (const event of ['connect', 'message', 'close']) {
      assert.ok((metricValue(worker, 'switchboard_worker_events_total', { event }) ?? 0) >= 1, event);
      assert.ok(
        (metricValue(worker, 'switchboard_worker_handler_duration_seconds_bucket', { event, le: '+Inf' }) ?? 0) >= 1,
      );
    }
    assert.equal(metricValue(pages.get(url(9410))!, 'switchboard_register_gateways'), 1);
    assert.equal(metricValue(pages.get(url(9410))!, 'switchboard_register_history_streams'), 1);
  });

  it('every metric the Grafana dashboard charts is served by a role', () => {
    const served = new Map<string, string>();
    for (const text of pages.values()) for (const [name, type] of metricFamilies(text)) served.set(name, type);
    for (const { where, expr } of dashboardQueries(readDashboard())) {
      for (const name of metricNamesIn(expr)) assert.ok(isServed(name, served), `${where}: ${name} not served`);
    }
  });

  it("every query of the Grafana dashboard is PromQL that Prometheus's parser reads", async () => {
    // Grafana's variables, as Grafana would fill them in.
    const exprs = dashboardQueries(readDashboard()).map(({ expr }) =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '1h')
        .replace(/\$\{?[a-z]+\}?/g, '.*'),
    );
    const result = await promtoolCheckExpressions(exprs);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });
});
