// GatewayWorker's protocol is off unless asked for, takes its secret from the cluster's, and is refused off
// loopback unless the operator accepts a clear-text secret; the CLI maps and hands on its flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addFlags, perCopyArgs, type Flag, type FlagValues } from '../../cli/flags.ts';
import { gatewayFlags, gatewayOptions } from '../../cli/gateway-flags.ts';
import { registerFlags, registerOptions } from '../../cli/register-flags.ts';
import { gatewayWorkerPortOf, startFlags, startProcesses } from '../../cli/start-flags.ts';
import { parseGatewayOptions } from '../../gateway/gateway-options.ts';
import { parseRegisterOptions } from '../../register/register-options.ts';
import { gatewayWorkerSecret, secretMatches } from '../../shared/gatewayworker-secret.ts';
import { createLogger } from '../../shared/logger.ts';
import { LOOPBACK_SECRET } from '../../shared/options.ts';

const log = createLogger({}, 'silent');

function parse(flags: readonly Flag<any>[], args: string[]): FlagValues {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  return addFlags(command, flags).parse(args, { from: 'user' }).opts();
}

describe('GatewayWorker protocol options', () => {
  it('are off unless asked for', () => {
    assert.equal(parseRegisterOptions({ log }).gatewayWorker, null);
    assert.equal(parseGatewayOptions({ log }).gatewayWorker, null);
  });

  it("take the cluster's secret, or none on loopback without one", () => {
    const none = parseRegisterOptions({ gatewayWorkerListen: '127.0.0.1:1238', log, secret: '' });
    assert.deepEqual(none.gatewayWorker, { listen: { host: '127.0.0.1', port: 1238 }, secret: '' });
    const given = parseGatewayOptions({ gatewayWorkerPort: 3900, secret: 's3', log });
    assert.deepEqual(given.gatewayWorker, { listen: { host: '127.0.0.1', port: 3900 }, secret: 's3' });
    assert.equal(gatewayWorkerSecret(LOOPBACK_SECRET), '');
    assert.equal(secretMatches('s3', 's3'), true);
    assert.equal(secretMatches('s4', 's3'), false);
    assert.equal(secretMatches(undefined, ''), false);
  });

  it('refuse a clear-text secret off loopback unless --gatewayworker-allow-plaintext-secret', () => {
    assert.throws(() => parseRegisterOptions({ gatewayWorkerListen: '0.0.0.0:1238', secret: 's', log }), {
      code: 'SB_ERR_PLAINTEXT_SECRET',
    });
    assert.throws(() => parseRegisterOptions({ gatewayWorkerListen: '0.0.0.0:1238', log }), {
      code: 'SB_ERR_SECRET_REQUIRED',
    });
    const allowed = parseRegisterOptions({
      gatewayWorkerListen: '10.0.0.1:1238',
      gatewayWorkerAllowPlaintextSecret: true,
      secret: 's',
      log,
    });
    assert.equal(allowed.gatewayWorker?.secret, 's');
    const gateway = { lanIp: '10.0.0.5', gatewayWorkerPort: 3900, secret: 's', log };
    assert.throws(() => parseGatewayOptions(gateway), { code: 'SB_ERR_PLAINTEXT_SECRET' });
    assert.throws(() => parseGatewayOptions({ ...gateway, lanIp: '127.0.0.1', innerListen: '0.0.0.0' }), {
      code: 'SB_ERR_PLAINTEXT_SECRET',
    });
    assert.deepEqual(parseGatewayOptions({ ...gateway, gatewayWorkerAllowPlaintextSecret: true }).gatewayWorker, {
      listen: { host: '10.0.0.5', port: 3900 },
      secret: 's',
    });
  });

  it("need an IPv4 --lan-ip: GatewayWorker's client ids hold one", () => {
    assert.throws(() => parseGatewayOptions({ lanIp: '::1', gatewayWorkerPort: 3900, log }), {
      code: 'SB_ERR_INVALID_OPTION',
    });
  });
});

describe('GatewayWorker protocol flags', () => {
  it('register and gateway read theirs', () => {
    const register = registerOptions(
      parse(registerFlags, ['--gatewayworker-listen', '127.0.0.1:1238', '--gatewayworker-allow-plaintext-secret']),
      log,
    );
    assert.equal(register.gatewayWorkerListen, '127.0.0.1:1238');
    assert.equal(register.gatewayWorkerAllowPlaintextSecret, true);
    const gateway = gatewayOptions(parse(gatewayFlags, ['--gatewayworker-port', '3900']), log);
    assert.equal(gateway.gatewayWorkerPort, 3900);
    assert.equal(gateway.gatewayWorkerAllowPlaintextSecret, false);
    assert.equal(gatewayOptions(parse(gatewayFlags, []), log).gatewayWorkerPort, undefined);
  });

  it('gateway --count N gives each copy its own port', () => {
    const values = parse(gatewayFlags, ['--gatewayworker-port', '3900']);
    assert.deepEqual(perCopyArgs(gatewayFlags, values, 2).slice(-2), ['--gatewayworker-port', '3902']);
  });

  it('start --gatewayworker-listen turns on the register and every gateway, gateway i on port + 1 + i', () => {
    const groups = startProcesses(
      parse(startFlags, ['--gateways', '2', '--gatewayworker-listen', '127.0.0.9:1238', '--secret', 's']),
    );
    const args = (role: string, i: number) => groups.find((g) => g.role === role)!.argsFor(i);
    const register = registerOptions(parse(registerFlags, args('register', 0)), log);
    assert.equal(register.gatewayWorkerListen, '127.0.0.9:1238');
    for (const i of [0, 1]) {
      assert.equal(gatewayOptions(parse(gatewayFlags, args('gateway', i)), log).gatewayWorkerPort, 1239 + i);
    }
    assert.equal(gatewayWorkerPortOf('127.0.0.9:0', 3), 0, 'port 0: any free port for each');
    const allow = startProcesses(parse(startFlags, ['--gatewayworker-allow-plaintext-secret']));
    for (const role of ['register', 'gateway']) {
      const child = allow.find((g) => g.role === role)!.argsFor(0);
      assert.ok(child.includes('--gatewayworker-allow-plaintext-secret'), role);
    }
    const off = startProcesses(parse(startFlags, []));
    assert.ok(
      !off
        .find((g) => g.role === 'gateway')!
        .argsFor(0)
        .includes('--gatewayworker-port'),
    );
    assert.ok(
      !off
        .find((g) => g.role === 'register')!
        .argsFor(0)
        .includes('--gatewayworker-listen'),
    );
  });
});
