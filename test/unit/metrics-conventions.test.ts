// Every role's Prometheus metrics follow the conventions (names, units, suffixes, the role label on the process
// metrics), checked on the registries the code builds; and the Grafana dashboard in docs/ uses only those metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Registry } from 'prom-client';
import { WorkerMetrics } from '../../business/worker-metrics.ts';
import { GatewayCounters, gatewayMetrics } from '../../gateway/gateway-metrics.ts';
import type { GatewayServer } from '../../gateway/gateway-server.ts';
import { apiMetrics } from '../../http-api/api-metrics.ts';
import { registerMetrics } from '../../register/register-metrics.ts';
import type { RegisterServer } from '../../register/register-server.ts';
import type { MetricsRole } from '../../shared/process-metrics.ts';
import { dashboardQueries, isServed, metricNamesIn, readDashboard } from '../helpers/grafana-dashboard.ts';

// Only the names and types are read here, never a value of the roles' own metrics: the servers behind them are
// never asked, so a bare object stands for each.
const registries: Record<MetricsRole, { registry: Registry; prefix: string }> = {
  register: {
    registry: registerMetrics({ gatewayAddresses: [], subscriberCount: 0 } as unknown as RegisterServer),
    prefix: 'switchboard_register_',
  },
  gateway: {
    registry: gatewayMetrics({ counters: new GatewayCounters() } as unknown as GatewayServer),
    prefix: 'switchboard_gateway_',
  },
  business: {
    registry: new WorkerMetrics(
      () => 0,
      () => 0,
    ).registry,
    prefix: 'switchboard_worker_',
  },
  api: { registry: apiMetrics(), prefix: 'switchboard_api_' },
};

interface Family {
  name: string;
  type: string;
  help: string;
  labelNames: readonly string[];
}

function families(registry: Registry): Family[] {
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; type: string; help: string; labelNames?: readonly string[] };
    return { name: metric.name, type: String(metric.type), help: metric.help, labelNames: metric.labelNames ?? [] };
  });
}

const isProcessMetric = (name: string) => name.startsWith('process_') || name.startsWith('nodejs_');

describe('metrics conventions', () => {
  for (const [role, { registry, prefix }] of Object.entries(registries)) {
    describe(role, () => {
      const all = families(registry);

      it(`names are snake_case under ${prefix}, besides the standard process_ and nodejs_ ones`, () => {
        for (const { name } of all) {
          assert.match(name, /^[a-z][a-z0-9_]*$/, name);
          assert.ok(name.startsWith(prefix) || isProcessMetric(name), `${name}: neither ${prefix}… nor standard`);
        }
        for (const standard of [
          'process_cpu_seconds_total',
          'process_resident_memory_bytes',
          'process_start_time_seconds',
          'nodejs_eventloop_lag_seconds',
          'nodejs_heap_size_used_bytes',
          'nodejs_version_info',
          'nodejs_gc_duration_seconds',
        ]) {
          assert.ok(
            all.some((f) => f.name === standard),
            `${standard} missing`,
          );
        }
      });

      it('counters, and only counters, end in _total; every metric says what it is', () => {
        for (const { name, type, help } of all) {
          assert.ok(help.trim().length > 0, `${name} has no help text`);
          if (type === 'counter') assert.match(name, /_total$/, `counter ${name}`);
          // prom-client's gauges under a _total name are served untyped: see collectProcessMetrics.
          else if (type !== 'untyped') assert.doesNotMatch(name, /_total$/, `${type} ${name}`);
          else assert.ok(isProcessMetric(name), `only standard metrics may be untyped: ${name}`);
        }
      });

      it('values are in base units (seconds, bytes), with the unit in the name', () => {
        for (const { name } of all) {
          assert.doesNotMatch(
            name,
            /_(ms|millis|milliseconds|us|microseconds|ns|nanoseconds|minutes|hours|days|kb|mb|gb|kib|mib|gib|kilobytes|megabytes|percent)(_|$)/,
            name,
          );
        }
        for (const { name, type } of all) {
          if (type === 'histogram') assert.match(name, /_(seconds|bytes)$/, `histogram ${name} has no base unit`);
        }
      });

      it('names stay distinct as OpenMetrics families (no gauge foo beside a counter foo_total)', () => {
        const seen = new Map<string, string>();
        for (const { name, type } of all) {
          const family = type === 'counter' ? name.replace(/_total$/, '') : name;
          const samples =
            type === 'histogram'
              ? [family, `${family}_bucket`, `${family}_sum`, `${family}_count`, `${family}_created`]
              : type === 'counter'
                ? [family, name, `${family}_created`]
                : [family];
          for (const sample of samples) {
            assert.ok(!seen.has(sample), `${name} clashes with ${seen.get(sample)}`);
            seen.set(sample, name);
          }
        }
      });

      it(`process and Node.js metrics carry role="${role}"; Switchboard's own carry the role in their name`, async () => {
        for (const { name, labelNames } of all) {
          if (!isProcessMetric(name)) {
            assert.ok(!labelNames.includes('role'), `${name} has a role label`);
            continue;
          }
          const metric = registry.getSingleMetric(name)!;
          const { values } = await metric.get();
          for (const { labels } of values) assert.equal(labels.role, role, `${name} ${JSON.stringify(labels)}`);
        }
        const text = await registry.getSingleMetricAsString('process_cpu_seconds_total');
        assert.match(text, new RegExp(`^process_cpu_seconds_total\\{role="${role}"\\} [0-9.e-]+$`, 'm'));
      });
    });
  }
});

describe('the Grafana dashboard (docs/grafana-dashboard.json)', () => {
  const dashboard = readDashboard() as Record<string, any>;
  const served = new Map<string, string>();
  for (const { registry } of Object.values(registries)) {
    for (const { name, type } of families(registry)) served.set(name, type);
  }

  it('reads PromQL the way Prometheus does: metric names, not functions, labels, ranges or variables', () => {
    assert.deepEqual(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, event) (rate(a_seconds_bucket{job=~"$job", x="b c"}[$__rate_interval]))) / ignoring(x) b_total and on (y) c offset 5m',
      ),
      ['a_seconds_bucket', 'b_total', 'c'],
    );
    assert.ok(isServed('switchboard_worker_handler_duration_seconds_bucket', served));
    assert.ok(!isServed('switchboard_worker_events_total_bucket', served));
    assert.ok(!isServed('switchboard_gateway_nonexistent', served));
  });

  it('uses only metrics that the roles serve, and every query selects one', () => {
    const queries = dashboardQueries(dashboard);
    assert.ok(queries.length >= 20, `only ${queries.length} queries`);
    for (const { where, expr } of queries) {
      const names = metricNamesIn(expr);
      assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
      for (const name of names) assert.ok(isServed(name, served), `${where}: ${name} is not a metric of any role`);
    }
  });

  it('charts clients, messages, workers, faults and the processes by role', () => {
    const used = new Set(dashboardQueries(dashboard).flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of [
      'switchboard_gateway_connections',
      'switchboard_gateway_uids',
      'switchboard_gateway_groups',
      'switchboard_gateway_messages_in_total',
      'switchboard_gateway_messages_out_total',
      'switchboard_worker_events_in_flight',
      'switchboard_gateway_slow_consumers_total',
      'switchboard_gateway_lost_events_total',
      'switchboard_worker_handler_timeouts_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      assert.ok(used.has(name), `no panel shows ${name}`);
    }
  });

  it('is importable: a Prometheus data source variable, unique panel ids, every panel on that data source', () => {
    const variables = dashboard.templating.list as { type: string; name: string; query: unknown }[];
    assert.ok(variables.some((v) => v.type === 'datasource' && v.name === 'datasource' && v.query === 'prometheus'));
    const ids = new Set<number>();
    for (const panel of dashboard.panels as Record<string, any>[]) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} twice`);
      ids.add(panel.id);
      if (panel.type === 'row') continue;
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
      assert.ok(panel.targets.length > 0, `${panel.title} has no query`);
    }
    assert.equal(dashboard.uid, 'switchboard');
  });
});
