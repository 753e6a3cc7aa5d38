import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegisterDiscovery } from '../../gateway-api/register-discovery.ts';
import { Cmd } from '../../shared/commands.ts';
import { fakeConnect } from '../helpers/fake-links.ts';

const R1 = { host: '10.0.0.1', port: 1236 };
const R2 = { host: '10.0.0.2', port: 1236 };

function discovery() {
  const { connect, made } = fakeConnect();
  const seen: string[] = [];
  const d = new RegisterDiscovery([R1, R2], connect, {
    listed: (address) => seen.push(`listed ${address}`),
    unlisted: (address, register) => seen.push(`unlisted ${address} by ${register}`),
    listReceived: () => seen.push('list'),
  });
  const r1 = made.get('register 10.0.0.1:1236')!;
  const r2 = made.get('register 10.0.0.2:1236')!;
  r1.open();
  r2.open();
  return { d, r1, r2, seen };
}

describe('RegisterDiscovery', () => {
  it('links to every register and has heard nothing until a list arrives', () => {
    const { d, seen } = discovery();
    assert.equal(d.heardFromRegister, false);
    assert.equal(d.where, '10.0.0.1:1236, 10.0.0.2:1236');
    assert.deepEqual(seen, []);
  });

  it("reports each listed gateway, then the whole list's arrival", () => {
    const { d, r1, seen } = discovery();
    r1.deliver({ cmd: Cmd.GatewayList, addresses: ['g1:1', 'g2:1'] });
    assert.equal(d.heardFromRegister, true);
    assert.deepEqual(seen, ['listed g1:1', 'listed g2:1', 'list']);
    assert.ok(d.isListed('g1:1') && d.isListed('g2:1'));
  });

  it('keeps a gateway listed while any register lists it', () => {
    const { d, r1, r2, seen } = discovery();
    r1.deliver({ cmd: Cmd.GatewayList, addresses: ['g1:1'] });
    r2.deliver({ cmd: Cmd.GatewayJoined, address: 'g1:1' });
    seen.length = 0;
    r1.deliver({ cmd: Cmd.GatewayList, addresses: [] });
    assert.deepEqual(seen, ['unlisted g1:1 by 10.0.0.1:1236', 'list']);
    assert.equal(d.isListed('g1:1'), true);
    r2.deliver({ cmd: Cmd.GatewayLeft, address: 'g1:1' });
    assert.equal(d.isListed('g1:1'), false);
    assert.deepEqual(seen.at(-1), 'unlisted g1:1 by 10.0.0.2:1236');
  });

  it('ignores a register saying a gateway left that it never listed', () => {
    const { d, r1, r2, seen } = discovery();
    r1.deliver({ cmd: Cmd.GatewayJoined, address: 'g1:1' });
    r2.deliver({ cmd: Cmd.GatewayLeft, address: 'g1:1' });
    assert.deepEqual(seen, ['listed g1:1']);
    assert.equal(d.isListed('g1:1'), true);
  });

  it("keeps a register's last list while our link to it is down", () => {
    const { d, r1 } = discovery();
    r1.deliver({ cmd: Cmd.GatewayList, addresses: ['g1:1'] });
    r1.close();
    assert.equal(d.isListed('g1:1'), true);
  });

  it('refuses a message a register never sends with SB_ERR_BAD_FRAME', () => {
    const { r1 } = discovery();
    assert.throws(() => r1.deliver({ cmd: Cmd.Ungroup, group: 'g' }), { code: 'SB_ERR_BAD_FRAME' });
  });

  it('stops every register link', async () => {
    const { d, r1, r2 } = discovery();
    await d.stop();
    assert.ok(r1.stopped && r2.stopped);
  });
});
