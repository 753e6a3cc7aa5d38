// `switchboard start` with a TCP gateway group beside the WebSocket one, and `--protocol` on its gateways.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addFlags, type Flag, type FlagValues } from '../../cli/flags.ts';
import { gatewayFlags, gatewayOptions } from '../../cli/gateway-flags.ts';
import { servesDemoPage, startFlags, startProcesses } from '../../cli/start-flags.ts';
import { formatStatus } from '../../cli/status-table.ts';
import type { ProcessGroup } from '../../cli/supervisor.ts';
import { parseGatewayOptions } from '../../gateway/gateway-options.ts';
import { createLogger } from '../../shared/logger.ts';

const log = createLogger({ level: 'error' });

function parse(flags: readonly Flag<any>[], args: string[]): FlagValues {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  return addFlags(command, flags).parse(args, { from: 'user' }).opts();
}

const gatewayAt = (group: ProcessGroup, index: number) =>
  gatewayOptions(parse(gatewayFlags, group.argsFor(index)), log);

describe('start --tcp-listen: a TCP gateway group beside the WebSocket one', () => {
  it('runs no TCP gateways without --tcp-listen, and the WebSocket gateways speak websocket', () => {
    const groups = startProcesses(parse(startFlags, []));
    assert.equal(groups.filter((g) => g.role === 'gateway').length, 1);
    assert.equal(
      gatewayAt(
        groups.find((g) => g.role === 'gateway')!,
        0,
      ).protocol,
      'websocket',
    );
  });

  it('gives the TCP gateways their address, protocol, TLS and heartbeat, and inner ports after the others', () => {
    const values = parse(startFlags, [
      ...['--gateways', '2', '--lan-ip', '127.0.0.9', '--register-listen', '127.0.0.9:1300'],
      ...['--metrics-listen', '127.0.0.9:9400', '--max-message-size', '1000', '--allowed-origins', 'https://a.example'],
      ...['--tcp-listen', '127.0.0.9:8282', '--tcp-protocol', 'frame', '--tcp-gateways', '2'],
      ...['--tcp-cert', 'c.pem', '--tcp-key', 'k.pem', '--tcp-ping-data', 'hb', '--tcp-ping-interval', '500'],
    ]);
    const [ws, tcp, ...others] = startProcesses(values).filter((g) => g.role === 'gateway');
    assert.equal(others.length, 0);
    assert.equal(ws!.count, 2);
    assert.equal(tcp!.count, 2);
    assert.equal(tcp!.label, 'gateway[frame]');
    for (const i of [0, 1]) {
      const gateway = gatewayAt(tcp!, i);
      assert.equal(gateway.listen, '127.0.0.9:8282');
      assert.equal(gateway.protocol, 'frame');
      assert.equal(gateway.innerPort, 2900 + 2 + i, 'after the two WebSocket gateways');
      assert.equal(gateway.lanIp, '127.0.0.9');
      assert.equal(gateway.register, '127.0.0.9:1300');
      assert.equal(gateway.maxMessageSize, 1000);
      assert.equal(gateway.tlsCertFile, join(process.cwd(), 'c.pem'));
      assert.equal(gateway.tlsKeyFile, join(process.cwd(), 'k.pem'));
      assert.equal(gateway.pingData, 'hb');
      assert.equal(gateway.pingInterval, 500);
      assert.equal(gateway.demo, false);
      assert.deepEqual(gateway.allowedOrigins, [], 'origins are for WebSocket clients');
      assert.equal(parse(gatewayFlags, tcp!.argsFor(i)).metricsListen, `127.0.0.9:${9400 + 2 + i}`);
      // The options a TCP gateway gets are consistent.
      assert.doesNotThrow(() => parseGatewayOptions({ ...gateway, secret: 's' }));
    }
    const wsGateway = gatewayAt(ws!, 0);
    assert.equal(wsGateway.protocol, 'websocket');
    assert.equal(wsGateway.tlsCertFile, undefined, '--tcp-cert is for the TCP gateways only');
  });

  it('hands a protocol module on as an absolute path', () => {
    const values = parse(startFlags, ['--tcp-listen', '127.0.0.9:8282', '--tcp-protocol', 'codecs/mine.ts']);
    const tcp = startProcesses(values).filter((g) => g.role === 'gateway')[1]!;
    assert.equal(gatewayAt(tcp, 0).protocol, join(process.cwd(), 'codecs/mine.ts'));
    assert.equal(tcp.label, 'gateway[tcp]');
  });

  it('start --protocol text makes every gateway a TCP one, without the demo page', () => {
    const values = parse(startFlags, ['--protocol', 'text']);
    assert.equal(servesDemoPage(values), false);
    assert.equal(
      gatewayAt(
        startProcesses(values).find((g) => g.role === 'gateway')!,
        0,
      ).protocol,
      'text',
    );
  });

  it('status names the TCP gateways by their label', () => {
    const row = { index: 0, pid: 1, uptime: 1, rss: null, connections: 3 };
    const table = formatStatus([
      { ...row, role: 'gateway' },
      { ...row, role: 'gateway', label: 'gateway[text]' },
    ]);
    assert.match(table, /^gateway#0 /m);
    assert.match(table, /^gateway\[text\]#0 /m);
  });
});

describe('gateway --protocol', () => {
  it('refuses --demo and --allowed-origins on a TCP gateway with SB_ERR_INVALID_OPTION', () => {
    assert.throws(() => parseGatewayOptions({ protocol: 'text', demo: true }), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => parseGatewayOptions({ protocol: 'frame', allowedOrigins: ['https://a.example'] }), {
      code: 'SB_ERR_INVALID_OPTION',
    });
    assert.equal(parseGatewayOptions({ protocol: 'text' }).protocol, 'text');
    assert.equal(parseGatewayOptions({}).protocol, 'websocket');
  });
});
