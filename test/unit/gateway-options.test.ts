import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWorkerOptions } from '../../business/worker-options.ts';
import { parseGatewayOptions } from '../../gateway/gateway-options.ts';
import { parseRegisterOptions } from '../../register/register-options.ts';
import { createLogger } from '../../shared/logger.ts';

const log = createLogger({}, 'silent');

describe('gateway options: bind and advertise', () => {
  it('binds the advertised address unless told otherwise', () => {
    const options = parseGatewayOptions({ lanIp: '127.0.0.9', innerPort: 2950, log });
    assert.deepEqual(options.inner, { host: '127.0.0.9', port: 2950 });
    assert.deepEqual(options.innerListen, options.inner);
  });

  it('binds a wildcard while advertising --lan-ip, IPv4 and IPv6', () => {
    const v4 = parseGatewayOptions({ lanIp: '10.0.0.5', innerListen: '0.0.0.0', secret: 's', log });
    assert.deepEqual([v4.inner.host, v4.innerListen.host], ['10.0.0.5', '0.0.0.0']);
    assert.equal(v4.innerListen.port, v4.inner.port);
    const v6 = parseGatewayOptions({ lanIp: 'FD00:0::5', innerListen: '[::]', secret: 's', log });
    assert.deepEqual([v6.inner.host, v6.innerListen.host], ['fd00::5', '::']);
    const dual = parseGatewayOptions({ lanIp: '10.0.0.5', innerListen: '::', secret: 's', log });
    assert.equal(dual.innerListen.host, '::');
  });

  it('asks for a secret when the bind address is reachable from other hosts', () => {
    assert.throws(() => parseGatewayOptions({ lanIp: '127.0.0.1', innerListen: '0.0.0.0', log }), {
      code: 'SB_ERR_SECRET_REQUIRED',
    });
    assert.doesNotThrow(() => parseGatewayOptions({ lanIp: '127.0.0.1', innerListen: '127.0.0.2', log }));
  });

  it('refuses an unusable bind or advertised address, saying what to use', () => {
    for (const [lanIp, innerListen] of [
      ['10.0.0.5', 'gateway.local'],
      ['10.0.0.5', '10.0.0.5:2900'],
      ['fd00::5', '0.0.0.0'],
      ['0.0.0.0', undefined],
      ['0:0::0', undefined],
    ] as const) {
      assert.throws(
        () => parseGatewayOptions({ lanIp, innerListen, secret: 's', log }),
        { code: 'SB_ERR_INVALID_OPTION' },
        `${lanIp} ${innerListen}`,
      );
    }
  });
});

describe('link heartbeat period', () => {
  it('defaults to 5 s on every role and refuses nonsense', () => {
    const secret = 's';
    for (const parse of [
      (heartbeatInterval?: number) => parseGatewayOptions({ heartbeatInterval, secret, log }).link,
      (heartbeatInterval?: number) => parseWorkerOptions({ heartbeatInterval, secret, log }).link,
      (heartbeatInterval?: number) => parseRegisterOptions({ heartbeatInterval, secret, log }).link,
    ]) {
      assert.equal(parse().heartbeatInterval, 5000);
      assert.equal(parse(250).heartbeatInterval, 250);
      for (const bad of [0, 10, 2.5, NaN]) assert.throws(() => parse(bad), { code: 'SB_ERR_INVALID_OPTION' });
    }
  });
});

describe('gateway options: client heartbeats', () => {
  it('turns heartbeats off with pingInterval 0 and refuses a period below 100 ms', () => {
    assert.equal(parseGatewayOptions({ pingInterval: 0, log }).pingInterval, 0);
    for (const pingInterval of [50, -1, 1.5]) {
      assert.throws(() => parseGatewayOptions({ pingInterval, log }), { code: 'SB_ERR_INVALID_OPTION' });
    }
  });

  it('cuts off silent clients after 2 WebSocket pings, but never for unanswered pingData unless told', () => {
    assert.equal(parseGatewayOptions({ log }).pingNotResponseLimit, 2);
    assert.equal(parseGatewayOptions({ pingData: 'hb', log }).pingNotResponseLimit, 0, "GatewayWorker's default");
    assert.equal(parseGatewayOptions({ pingData: 'hb', pingNotResponseLimit: 3, log }).pingNotResponseLimit, 3);
    assert.equal(parseGatewayOptions({ pingNotResponseLimit: 0, log }).pingNotResponseLimit, 0);
  });
});

describe('worker options: index in the group', () => {
  it('is 0 of 1 by default and refuses an index outside its group', () => {
    const alone = parseWorkerOptions({ log });
    assert.deepEqual([alone.id, alone.count], [0, 1]);
    const third = parseWorkerOptions({ id: 2, count: 3, log });
    assert.deepEqual([third.id, third.count], [2, 3]);
    for (const [id, count] of [
      [3, 3],
      [-1, 2],
      [0, 0],
    ]) {
      assert.throws(() => parseWorkerOptions({ id, count, log }), { code: 'SB_ERR_INVALID_OPTION' });
    }
  });
});
