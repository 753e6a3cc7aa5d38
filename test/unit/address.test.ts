import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHostPort, parseHostPort, parseHostPortList } from '../../shared/address.ts';
import { LOOPBACK_SECRET, resolveSecret } from '../../shared/options.ts';

describe('addresses and secrets', () => {
  it('parses HOST:PORT, [IPv6]:PORT and bare ports', () => {
    assert.deepEqual(parseHostPort('10.0.0.1:1236'), { host: '10.0.0.1', port: 1236 });
    assert.deepEqual(parseHostPort('[::1]:2900'), { host: '::1', port: 2900 });
    assert.deepEqual(parseHostPort('7272'), { host: '127.0.0.1', port: 7272 });
    assert.deepEqual(parseHostPortList('a:1, b:2'), [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    assert.equal(formatHostPort({ host: '::1', port: 1 }), '[::1]:1');
    for (const bad of ['::1:80', 'host', 'host:99999', 'host:x']) {
      assert.throws(() => parseHostPort(bad), { code: 'SB_ERR_INVALID_OPTION' }, bad);
    }
  });

  it('needs a secret only off loopback', () => {
    const saved = process.env.SWITCHBOARD_SECRET;
    delete process.env.SWITCHBOARD_SECRET;
    try {
      assert.equal(resolveSecret(undefined, [{ host: '127.0.0.1', port: 1 }], 'x'), LOOPBACK_SECRET);
      assert.equal(resolveSecret('s', [{ host: '10.0.0.1', port: 1 }], 'x'), 's');
      assert.throws(() => resolveSecret(undefined, [{ host: '10.0.0.1', port: 1 }], 'gateway'), {
        code: 'SB_ERR_SECRET_REQUIRED',
        message: /--secret/,
      });
    } finally {
      if (saved !== undefined) process.env.SWITCHBOARD_SECRET = saved;
    }
  });
});
