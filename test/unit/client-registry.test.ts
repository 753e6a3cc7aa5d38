import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ClientRegistry, ClientState } from '../../gateway/client-registry.ts';
import { answerQuery } from '../../gateway/queries.ts';
import { Query } from '../../shared/queries.ts';

const request = { url: '/', query: {}, headers: {}, ip: '127.0.0.1', port: 1 };
const client = (id: string) => new ClientState(id, {} as WebSocket, request);

describe('ClientRegistry', () => {
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
