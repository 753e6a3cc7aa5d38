import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MembershipRouting } from '../../gateway-api/membership-routing.ts';
import { Cmd, type Message } from '../../shared/commands.ts';
import { FakeLink } from '../helpers/fake-links.ts';

const toUids = (...uids: string[]): Message => ({ cmd: Cmd.SendToUids, uids, data: 'x' });
const update = (uids: string[]): Message => ({
  cmd: Cmd.MembershipUpdate,
  uids,
  uidsGone: [],
  groups: [],
  groupsGone: [],
});

describe('MembershipRouting', () => {
  it('with `all` routing subscribes to nothing and narrows nothing', () => {
    const routing = new MembershipRouting('all');
    const link = new FakeLink();
    routing.opened('g:1', link);
    routing.receive('g:1', update(['a']));
    routing.receive('g:1', { cmd: Cmd.MembershipSynced });
    assert.deepEqual(link.sent, []);
    const msg = toUids('b');
    assert.equal(routing.narrow('g:1', msg), msg);
  });

  it('with `directory` routing subscribes on open and narrows per gateway once synced', () => {
    const routing = new MembershipRouting('directory');
    const one = new FakeLink();
    const two = new FakeLink();
    routing.opened('g1:1', one);
    routing.opened('g2:1', two);
    assert.deepEqual(one.sent, [{ cmd: Cmd.MembershipSubscribe }]);
    routing.receive('g1:1', update(['a']));
    routing.receive('g1:1', { cmd: Cmd.MembershipSynced });
    routing.receive('g2:1', update(['b']));
    routing.receive('g2:1', { cmd: Cmd.MembershipSynced });
    assert.deepEqual(routing.narrow('g1:1', toUids('a', 'b')), toUids('a'));
    assert.deepEqual(routing.narrow('g2:1', toUids('a', 'b')), toUids('b'));
    assert.equal(routing.narrow('g2:1', toUids('a')), null);
  });

  it('counts our own bind until the gateway confirms it', () => {
    const routing = new MembershipRouting('directory');
    routing.opened('g:1', new FakeLink());
    routing.receive('g:1', { cmd: Cmd.MembershipSynced });
    routing.sending('g:1', { cmd: Cmd.BindUid, client: 'c', uid: 'mine' });
    assert.deepEqual(routing.narrow('g:1', toUids('mine')), toUids('mine'));
  });

  it('sends whole to a gateway whose link closed, and starts afresh when it reopens', () => {
    const routing = new MembershipRouting('directory');
    routing.opened('g:1', new FakeLink());
    routing.receive('g:1', { cmd: Cmd.MembershipSynced });
    assert.equal(routing.narrow('g:1', toUids('x')), null);
    routing.closed('g:1');
    const msg = toUids('x');
    assert.equal(routing.narrow('g:1', msg), msg);
    routing.opened('g:1', new FakeLink());
    assert.equal(routing.narrow('g:1', msg), msg);
  });
});
