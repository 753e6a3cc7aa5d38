import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ClientRegistry, ClientState } from '../../gateway/client-registry.ts';
import { MembershipFeed } from '../../gateway/membership-feed.ts';
import { answerQuery } from '../../gateway/queries.ts';
import { FRAME_HEADER_BYTES, packr } from '../../shared/codec.ts';
import { Cmd, type Message } from '../../shared/commands.ts';
import type { Link } from '../../shared/link.ts';
import { Query } from '../../shared/queries.ts';

const client = (id: string) => new ClientState(id, {} as WebSocket, '127.0.0.1');

/** Records what the feed sends (decoding encoded frames); the feed only calls send, sendFrame and flush. */
function recordingLink() {
  const sent: Message[] = [];
  let flushes = 0;
  const link = {
    send: (m: Message) => sent.push(m),
    sendFrame: (frame: Buffer) => sent.push(packr.unpack(frame.subarray(FRAME_HEADER_BYTES)) as Message),
    flush: () => flushes++,
  } as unknown as Link;
  return { link, sent, flushes: () => flushes };
}

describe('ClientRegistry', () => {
  it('reports a uid or group gaining its first member and losing its last, once each', () => {
    const r = new ClientRegistry();
    const seen: string[] = [];
    r.onIndexChange = (kind, key, present) => seen.push(`${present ? '+' : '-'}${kind}:${key}`);
    const [a, b] = [client('a'), client('b')];
    r.add(a);
    r.add(b);
    r.bindUid(a, 'u');
    r.bindUid(b, 'u');
    r.joinGroup(a, 'g');
    r.joinGroup(b, 'g');
    r.bindUid(a, 'v');
    r.unbindUid(b, 'u');
    r.remove(a); // b is still in g
    r.joinGroup(b, 'h');
    r.ungroup('h');
    assert.deepEqual(seen, ['+uid:u', '+group:g', '+uid:v', '-uid:u', '-uid:v', '+group:h', '-group:h']);
  });

  it('feeds a subscriber a snapshot in bounded frames, then changes coalesced into one update, flushed on demand', () => {
    const r = new ClientRegistry();
    const feed = new MembershipFeed(r);
    const c = client('c');
    r.add(c);
    const uids = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    for (const uid of uids) r.bindUid(client(uid), uid);
    r.joinGroup(c, 'room');
    const sub = recordingLink();
    feed.subscribe(sub.link);
    const snapshot = sub.sent.slice(0, -1) as Extract<Message, { cmd: typeof Cmd.MembershipUpdate }>[];
    assert.ok(snapshot.length > 1, `split into ${snapshot.length} frames`);
    assert.deepEqual(sub.sent.at(-1), { cmd: Cmd.MembershipSynced });
    assert.deepEqual(
      snapshot.flatMap((u) => u.uids),
      uids,
    );
    assert.deepEqual(
      snapshot.flatMap((u) => u.groups),
      ['room'],
    );

    sub.sent.length = 0;
    r.bindUid(c, 'new');
    r.bindUid(c, 'newer');
    r.leaveGroup(c, 'room');
    assert.deepEqual(sub.sent, [], 'changes wait for the end of the input, or for a flush');
    feed.flush();
    // 'new' came and went within the batch: left out.
    assert.deepEqual(sub.sent, [
      { cmd: Cmd.MembershipUpdate, uids: ['newer'], uidsGone: [], groups: [], groupsGone: ['room'] },
    ]);
    feed.flush();
    assert.equal(sub.flushes(), 1, 'flushes only when updates are queued');
    feed.unsubscribe(sub.link);
    r.joinGroup(c, 'room');
    feed.flush();
    assert.equal(sub.sent.length, 1);
  });

  it('keeps uid and group indexes in both directions and deletes empty entries', () => {
    const r = new ClientRegistry();
    const [a, b] = [client('a'), client('b')];
    r.add(a);
    r.add(b);
    r.bindUid(a, 'u1');
    r.bindUid(b, 'u1');
    r.bindUid(a, 'u2'); // rebinding replaces
    assert.deepEqual(
      [...r.uids.get('u1')!].map((c) => c.id),
      ['b'],
    );
    assert.equal(a.uid, 'u2');
    r.joinGroup(a, 'g');
    r.joinGroup(b, 'g');
    r.leaveGroup(a, 'g');
    assert.deepEqual([...a.groups], []);
    r.remove(b);
    assert.equal(r.groups.has('g'), false, 'empty group deleted');
    assert.equal(r.uids.has('u1'), false, 'empty uid deleted');
    r.unbindUid(a, 'u2');
    assert.equal(r.uids.size, 0);
  });

  it('ungroups every member', () => {
    const r = new ClientRegistry();
    const [a, b] = [client('a'), client('b')];
    for (const c of [a, b]) {
      r.add(c);
      r.joinGroup(c, 'g');
    }
    r.ungroup('g');
    assert.equal(r.groups.size, 0);
    assert.equal(a.groups.size + b.groups.size, 0);
  });

  it('answers group uid lists past members without a uid', () => {
    const r = new ClientRegistry();
    const [a, b, c] = [client('a'), client('b'), client('c')];
    for (const x of [a, b, c]) r.add(x);
    r.joinGroup(a, 'g');
    r.joinGroup(b, 'g');
    r.joinGroup(c, 'h');
    r.bindUid(b, 'u');
    assert.deepEqual(answerQuery(r, Query.GroupUids, {}), { g: ['u'], h: [] });
    assert.throws(() => answerQuery(r, Query.UidClients, { uids: 'u' }), { code: 'SB_ERR_INVALID_ARGUMENT' });
    assert.throws(() => answerQuery(r, 'dropTables', {}), { code: 'SB_ERR_INVALID_ARGUMENT' });
  });
});
