import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayMembership } from '../../gateway-api/gateway-membership.ts';
import { Cmd, type Message } from '../../shared/commands.ts';

const update = (fields: Partial<Record<'uids' | 'uidsGone' | 'groups' | 'groupsGone', string[]>>): Message => ({
  cmd: Cmd.MembershipUpdate,
  uids: [],
  uidsGone: [],
  groups: [],
  groupsGone: [],
  ...fields,
});
const toUids = (...uids: string[]): Message => ({ cmd: Cmd.SendToUids, uids, data: 'x' });
const toGroups = (...groups: string[]): Message => ({ cmd: Cmd.SendToGroups, groups, data: 'x', exclude: [] });
const synced = (...updates: Message[]) => {
  const m = new GatewayMembership();
  for (const u of updates) m.receive(u);
  m.receive({ cmd: Cmd.MembershipSynced });
  return m;
};

describe('GatewayMembership', () => {
  it('passes every send whole until the snapshot is complete', () => {
    const m = new GatewayMembership();
    m.receive(update({ uids: ['a'] }));
    const msg = toUids('zzz');
    assert.equal(m.narrow(msg), msg);
  });

  it('narrows uid and group sends to the names the gateway holds, and skips it when it holds none', () => {
    const m = synced(update({ uids: ['a', 'b'], groups: ['g'] }), update({ uidsGone: ['b'] }));
    const single = toUids('a');
    assert.equal(m.narrow(single), single, 'a single held uid passes as is');
    assert.equal(m.narrow(toUids('b')), null, 'b left');
    assert.deepEqual(m.narrow(toUids('a', 'b', 'c')), { ...toUids('a') });
    assert.equal(m.narrow(toGroups('h')), null);
    assert.deepEqual(m.narrow(toGroups('h', 'g')), toGroups('g'));
    const all: Message = { cmd: Cmd.SendToAll, data: 'x', exclude: [] };
    assert.equal(m.narrow(all), all, 'other messages pass whole');
  });

  it('keeps our own bind until the gateway confirms it, even if an older "gone" arrives first', () => {
    const m = synced(update({ uids: ['42'] }));
    m.sending({ cmd: Cmd.BindUid, client: 'c', uid: '42' });
    m.sending({ cmd: Cmd.JoinGroup, client: 'c', group: 'room' });
    // Another client of 42 left before our bind reached the gateway: its update was already on the way.
    m.receive(update({ uidsGone: ['42'] }));
    assert.deepEqual(m.narrow(toUids('42')), toUids('42'));
    assert.deepEqual(m.narrow(toGroups('room')), toGroups('room'));
    // The gateway applied our bind (42 is back), answered, then applied our join: the client was gone by then.
    m.receive(update({ uids: ['42'] }));
    m.receive({ cmd: Cmd.MembershipApplied });
    m.receive({ cmd: Cmd.MembershipApplied });
    assert.deepEqual(m.narrow(toUids('42')), toUids('42'));
    assert.equal(m.narrow(toGroups('room')), null);
  });

  it('counts two binds of one uid as two', () => {
    const m = synced();
    m.sending({ cmd: Cmd.BindUid, client: 'c1', uid: 'u' });
    m.sending({ cmd: Cmd.BindUid, client: 'c2', uid: 'u' });
    m.receive({ cmd: Cmd.MembershipApplied });
    assert.notEqual(m.narrow(toUids('u')), null, 'one bind still unconfirmed');
    m.receive({ cmd: Cmd.MembershipApplied });
    assert.equal(m.narrow(toUids('u')), null, 'both confirmed, and the gateway never reported u');
  });
});
