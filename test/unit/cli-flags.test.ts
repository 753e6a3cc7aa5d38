// The CLI's flag tables, with no process started: flags become each role's options, `start` hands its flags on
// to the children it runs (whose own tables then read them), and `--count N` gives each copy its own flags.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { apiFlags, apiOptions } from '../../cli/api-flags.ts';
import { businessFlags, businessOptions } from '../../cli/business-flags.ts';
import { BUNDLED_DEMO_EVENTS, describeEventsModule, findEventsModule, isBundledDemo } from '../../cli/events-module.ts';
import {
  addFlags,
  flagName,
  perCopyArgs,
  toOptions,
  valueKey,
  withoutCount,
  type Flag,
  type FlagValues,
} from '../../cli/flags.ts';
import { clientLimitFlags, gatewayFlags, gatewayOptions } from '../../cli/gateway-flags.ts';
import { registerFlags, registerOptions } from '../../cli/register-flags.ts';
import { servesDemoPage, startFlags, startProcesses } from '../../cli/start-flags.ts';
import type { ProcessGroup, Role } from '../../cli/supervisor.ts';
import {
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_INNER_PORT,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_MESSAGE_SIZE,
} from '../../gateway/gateway-options.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../../shared/codec.ts';
import { ErrorCode, hasCode } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS } from '../../shared/options.ts';

const log = createLogger({}, 'silent');
const FIXTURE_APP = fileURLToPath(new URL('../fixtures/api-app.ts', import.meta.url));

/** What commander makes of `args` for a command with these flags (an error throws instead of exiting). */
function parse(flags: readonly Flag<any>[], args: string[]): FlagValues {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  return addFlags(command, flags).parse(args, { from: 'user' }).opts();
}

const TABLES: Record<Role, readonly Flag<any>[]> = {
  register: registerFlags,
  gateway: gatewayFlags,
  business: businessFlags,
  api: apiFlags,
};

/** The command line `start` gives child `index` of `role`, read back by that role's own table. */
function childValues(groups: ProcessGroup[], role: Role, index: number): FlagValues {
  const group = groups.find((g) => g.role === role)!;
  assert.ok(index < group.count, `${role} ${index} is started`);
  return parse(TABLES[role], group.argsFor(index));
}

describe('flag tables', () => {
  it('no two flags of a role set the same option, or share a name', () => {
    for (const [role, flags] of Object.entries({ ...TABLES, start: startFlags })) {
      const fields = flags.flatMap((f) => (f.field ? [f.field] : []));
      assert.equal(new Set(fields).size, fields.length, role);
      const names = flags.map(flagName);
      assert.equal(new Set(names).size, names.length, role);
    }
  });

  it('every option of a flag not given is the default of its table entry', () => {
    for (const flags of Object.values(TABLES)) {
      const options = toOptions(flags, parse(flags, [])) as Record<string, unknown>;
      for (const flag of flags) {
        if (flag.field && flag.default !== undefined && !flag.convert) {
          assert.equal(options[flag.field], flag.default, flag.flags);
        }
      }
    }
  });
});

describe('flags -> options', () => {
  it('gateway: defaults, and every kind of flag', () => {
    const defaults = gatewayOptions(parse(gatewayFlags, []), log);
    assert.equal(defaults.listen, DEFAULT_GATEWAY_LISTEN);
    assert.equal(defaults.innerPort, DEFAULT_INNER_PORT);
    assert.equal(defaults.register, DEFAULT_REGISTER_ADDRESS);
    assert.equal(defaults.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
    assert.equal(defaults.maxFrameSize, DEFAULT_MAX_FRAME_SIZE);
    assert.deepEqual(defaults.allowedOrigins, []);
    assert.equal(defaults.demo, false);
    assert.equal(defaults.httpMetrics, true);
    assert.equal(defaults.tls, undefined);
    assert.equal(defaults.log, log);

    const given = gatewayOptions(
      parse(gatewayFlags, [
        ...['--inner-port', '0', '--inner-listen', '0.0.0.0', '--secret', 's3cret'],
        ...['--allowed-origins', 'https://a.example, https://b.example', '--slow-consumer', 'drop'],
        ...['--demo', '--no-http-metrics', '--cert', 'c.pem', '--key', 'k.pem', '--max-pending-handshakes', '7'],
      ]),
      log,
    );
    assert.equal(given.innerPort, 0);
    assert.equal(given.innerListen, '0.0.0.0');
    assert.equal(given.secret, 's3cret');
    assert.deepEqual(given.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(given.slowConsumer, 'drop');
    assert.equal(given.demo, true);
    assert.equal(given.httpMetrics, false);
    assert.equal(given.tlsCertFile, 'c.pem');
    assert.equal(given.tlsKeyFile, 'k.pem');
    assert.equal(given.maxPendingHandshakes, 7);
  });

  it('refuses a value that is not a whole number, and a choice that is not offered', () => {
    assert.throws(() => parse(gatewayFlags, ['--inner-port', '-1']), { code: 'commander.invalidArgument' });
    assert.throws(() => parse(businessFlags, ['--routing', 'some']), { code: 'commander.invalidArgument' });
  });

  it('every role reads --tls-cert, --tls-key and --tls-ca into its tls setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-tls-'));
    try {
      for (const name of ['cert', 'key', 'ca']) writeFileSync(join(dir, name), `${name}\n`);
      const args = ['--tls-cert', join(dir, 'cert'), '--tls-key', join(dir, 'key'), '--tls-ca', join(dir, 'ca')];
      const roles = {
        register: registerOptions(parse(registerFlags, args), log),
        gateway: gatewayOptions(parse(gatewayFlags, args), log),
        business: businessOptions(parse(businessFlags, args), log),
        api: apiOptions(parse(apiFlags, args), log),
      };
      for (const [role, options] of Object.entries(roles)) {
        assert.equal(String(options.tls?.ca), 'ca\n', role);
        assert.equal(String(options.tls?.key), 'key\n', role);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('link TLS needs all three files', () => {
    assert.throws(
      () => registerOptions(parse(registerFlags, ['--tls-cert', 'a.pem']), log),
      (err) => hasCode(err, ErrorCode.InvalidOption),
    );
  });

  it('register, business and api', () => {
    const register = registerOptions(
      parse(registerFlags, ['--listen', '127.0.0.9:1300', '--heartbeat-interval', '700']),
      log,
    );
    assert.equal(register.listen, '127.0.0.9:1300');
    assert.equal(register.heartbeatInterval, 700);

    const business = businessOptions(
      parse(businessFlags, ['--events', FIXTURE_APP, '--slow-handler', '5', '--routing', 'all', '--name', 'w1']),
      log,
    );
    assert.equal(business.events, FIXTURE_APP);
    assert.equal(business.slowHandlerMs, 5);
    assert.equal(business.routing, 'all');
    assert.equal(business.name, 'w1');
    assert.equal(businessOptions(parse(businessFlags, []), log).events, findEventsModule(undefined));

    const api = apiOptions(parse(apiFlags, ['--token', 't', '--max-body', '10', '--query-timeout', '20']), log);
    assert.equal(api.token, 't');
    assert.equal(api.maxBody, 10);
    assert.equal(api.queryTimeout, 20);
    assert.equal(api.name, `api ${process.pid}`);
  });
});

describe('start -> the command lines of its children', () => {
  it('hands on only flags that the child role has', () => {
    for (const flag of startFlags) {
      for (const [role, handOn] of Object.entries(flag.handOn ?? {})) {
        if (typeof handOn !== 'string') continue;
        const names = TABLES[role as Role].map(flagName);
        assert.ok(names.includes(handOn), `${flag.flags} -> ${role} ${handOn}`);
      }
    }
  });

  it('gives each child its addresses, ports, limits and module', () => {
    const values = parse(startFlags, [
      ...['--listen', '127.0.0.7:7300', '--register-listen', '127.0.0.7:1300', '--lan-ip', '127.0.0.7'],
      ...['--gateways', '2', '--workers', '2', '--events', FIXTURE_APP, '--routing', 'all'],
      ...['--metrics-listen', '127.0.0.7:9400', '--api-listen', '127.0.0.7:8081', '--log-level', 'warn'],
      ...[
        '--max-connections-per-ip',
        '2',
        '--allowed-origins',
        'https://a.example',
        '--cert',
        'c.pem',
        '--key',
        'k.pem',
      ],
    ]);
    const groups = startProcesses(values);
    assert.deepEqual(
      groups.map((g) => [g.role, g.count]),
      [
        ['register', 1],
        ['gateway', 2],
        ['business', 2],
        ['api', 1],
      ],
    );

    const register = childValues(groups, 'register', 0);
    assert.equal(register.listen, '127.0.0.7:1300');
    assert.equal(register.logLevel, 'warn');

    for (const i of [0, 1]) {
      const gateway = gatewayOptions(childValues(groups, 'gateway', i), log);
      assert.equal(gateway.listen, '127.0.0.7:7300');
      assert.equal(gateway.lanIp, '127.0.0.7');
      assert.equal(gateway.innerPort, DEFAULT_INNER_PORT + i);
      assert.equal(gateway.register, '127.0.0.7:1300');
      assert.equal(gateway.maxConnectionsPerIp, 2);
      assert.deepEqual(gateway.allowedOrigins, ['https://a.example']);
      assert.equal(gateway.tlsCertFile, join(process.cwd(), 'c.pem'));
      assert.equal(gateway.tlsKeyFile, join(process.cwd(), 'k.pem'));
      assert.equal(gateway.demo, false, 'an app of its own: no demo page');
      assert.equal(childValues(groups, 'gateway', i).metricsListen, `127.0.0.7:${9400 + i}`);

      const worker = childValues(groups, 'business', i);
      assert.equal(businessOptions(worker, log).events, FIXTURE_APP);
      assert.equal(worker.register, '127.0.0.7:1300');
      assert.equal(worker.routing, 'all');
      assert.equal(worker.metricsListen, `127.0.0.7:${9500 + i}`);
    }

    const api = childValues(groups, 'api', 0);
    assert.equal(api.listen, '127.0.0.7:8081');
    assert.equal(api.routing, 'all');
    assert.equal(api.register, '127.0.0.7:1300');
  });

  it('hands every client limit on to the gateways, defaults included', () => {
    const groups = startProcesses(parse(startFlags, []));
    const gateway = childValues(groups, 'gateway', 0);
    for (const flag of clientLimitFlags) {
      assert.deepEqual(gateway[valueKey(flag)], flag.default, flag.flags);
    }
    assert.equal(gateway.maxConnectionsPerIp, DEFAULT_MAX_CONNECTIONS_PER_IP);
    assert.equal(groups.find((g) => g.role === 'api')!.count, 0, 'no HTTP API unless --api-listen');
  });

  it('with --inner-port 0, gives every gateway 0 (any free port), not 0, 1, 2', () => {
    const groups = startProcesses(parse(startFlags, ['--gateways', '3', '--inner-port', '0']));
    for (const i of [0, 1, 2]) assert.equal(childValues(groups, 'gateway', i).innerPort, 0, `gateway ${i}`);
  });

  it('serves the demo page only when the bundled demo chat runs, and not with --no-demo', () => {
    // In this repository's folder, the default module is business/events.ts: the bundled demo.
    const demo = parse(startFlags, []);
    assert.equal(servesDemoPage(demo), true);
    assert.equal(childValues(startProcesses(demo), 'gateway', 0).demo, true);
    assert.equal(childValues(startProcesses(demo), 'business', 0).events, BUNDLED_DEMO_EVENTS);
    for (const args of [['--no-demo'], ['--events', FIXTURE_APP]]) {
      const values = parse(startFlags, args);
      assert.equal(servesDemoPage(values), false, args.join(' '));
      assert.equal(childValues(startProcesses(values), 'gateway', 0).demo, undefined, args.join(' '));
    }
  });
});

describe('--count N: the command line of each copy', () => {
  it('drops --count and gives each copy its own inner port and metrics port', () => {
    assert.deepEqual(withoutCount(['--count', '2', '--listen', 'h:1', '--count=3', '--demo']), [
      '--listen',
      'h:1',
      '--demo',
    ]);
    const args = ['--count', '2', '--inner-port', '3000', '--metrics-listen', '127.0.0.7:9400'];
    const values = parse(gatewayFlags, args);
    for (const i of [0, 1]) {
      const copy = parse(gatewayFlags, [...withoutCount(args), ...perCopyArgs(gatewayFlags, values, i)]);
      assert.equal(copy.count, 1);
      assert.equal(copy.innerPort, 3000 + i);
      assert.equal(copy.metricsListen, `127.0.0.7:${9400 + i}`);
    }
    assert.deepEqual(perCopyArgs(businessFlags, parse(businessFlags, ['--count', '2']), 1), [], 'nothing of its own');
  });

  it('gives the copies of a named business worker names of their own, for keyed routing', () => {
    const args = ['--count', '3', '--name', 'chat'];
    const values = parse(businessFlags, args);
    const names = [0, 1, 2].map(
      (i) => parse(businessFlags, [...withoutCount(args), ...perCopyArgs(businessFlags, values, i)]).name,
    );
    assert.deepEqual(names, ['chat-0', 'chat-1', 'chat-2']);
  });

  it('with --inner-port 0, every copy gets 0 (any free port)', () => {
    const args = ['--count', '2', '--inner-port', '0'];
    const values = parse(gatewayFlags, args);
    for (const i of [0, 1]) {
      const copy = parse(gatewayFlags, [...withoutCount(args), ...perCopyArgs(gatewayFlags, values, i)]);
      assert.equal(copy.innerPort, 0, `copy ${i}`);
    }
  });
});

describe('the events module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-events-module-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the flag, else the first of the candidates in the folder, else the bundled demo', () => {
    assert.equal(findEventsModule('app/handlers.mjs', dir), join(dir, 'app/handlers.mjs'));
    assert.equal(findEventsModule(undefined, dir), BUNDLED_DEMO_EVENTS);
    mkdirSync(join(dir, 'business'));
    for (const file of ['business/events.ts', 'events.mjs', 'events.js', 'events.mts', 'events.ts']) {
      writeFileSync(join(dir, file), 'export {};\n');
      assert.equal(findEventsModule(undefined, dir), join(dir, file), file);
    }
  });

  it('knows the bundled demo, beside the CLI with the same extension', () => {
    assert.ok(BUNDLED_DEMO_EVENTS.endsWith(join('business', 'events.ts')), 'running from the sources');
    assert.equal(isBundledDemo(BUNDLED_DEMO_EVENTS), true);
    symlinkSync(BUNDLED_DEMO_EVENTS, join(dir, 'linked-demo.ts'));
    assert.equal(isBundledDemo(join(dir, 'linked-demo.ts')), true, 'through a symbolic link');
    assert.equal(isBundledDemo(FIXTURE_APP), false);
    assert.equal(isBundledDemo(join(dir, 'missing.ts')), false);
    assert.equal(describeEventsModule(BUNDLED_DEMO_EVENTS), 'the bundled demo chat');
    assert.equal(describeEventsModule(FIXTURE_APP), FIXTURE_APP);
  });
});
