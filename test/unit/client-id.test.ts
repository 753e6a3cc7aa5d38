import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalIp, ClientIdFactory, decodeClientId, gatewayOf } from '../../shared/client-id.ts';

describe('client ids', () => {
  it('encode the gateway inner address, IPv4 and IPv6', () => {
    for (const inner of [
      { host: '10.1.2.3', port: 2900 },
      { host: '127.0.0.1', port: 65535 },
      { host: '::1', port: 2901 },
      { host: 'fd00::12:3', port: 1 },
      { host: '2001:db8:0:1:1:1:1:1', port: 443 },
    ]) {
      const id = new ClientIdFactory(inner).next();
      assert.match(id, /^[0-9a-f]+$/);
      assert.deepEqual(decodeClientId(id), inner);
    }
    assert.equal(gatewayOf(new ClientIdFactory({ host: '::1', port: 2900 }).next()), '[::1]:2900');
  });

  it('stay unique across gateway restarts on the same address', () => {
    const inner = { host: '127.0.0.1', port: 2900 };
    const ids = new Set<string>();
    for (let restart = 0; restart < 50; restart++) {
      const factory = new ClientIdFactory(inner);
      for (let i = 0; i < 20; i++) ids.add(factory.next());
    }
    assert.equal(ids.size, 1000);
  });

  it('reject strings that are not client ids', () => {
    for (const bad of ['', 'abc', '01047f000001', 'zz'.repeat(17), `02${'0'.repeat(32)}`, `0106${'0'.repeat(30)}`]) {
      assert.throws(() => decodeClientId(bad), { code: 'SB_ERR_INVALID_CLIENT_ID' }, bad);
      assert.equal(gatewayOf(bad), null);
    }
  });

  it('canonicalise IP literals so address keys compare equal', () => {
    assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalIp('2001:DB8::1'), '2001:db8::1');
    assert.equal(canonicalIp('::ffff:10.0.0.5'), '::ffff:a00:5');
    assert.equal(canonicalIp('64:ff9b::192.0.2.33'), '64:ff9b::c000:221');
    assert.throws(() => canonicalIp('gateway.local'), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => canonicalIp('fe80::1%eth0'), { code: 'SB_ERR_INVALID_OPTION' });
  });
});
