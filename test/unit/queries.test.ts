import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NAME_LENGTH } from '../../shared/commands.ts';
import { isQueryName, isResultOf, parseQueryArgs, Query } from '../../shared/queries.ts';

describe('query table', () => {
  it('knows its query names and nothing else', () => {
    for (const q of Object.values(Query)) assert.equal(isQueryName(q), true);
    for (const q of ['dropTables', 'toString', '__proto__', 7, null]) assert.equal(isQueryName(q), false);
  });

  it('reads arguments as declared: absent group is null, fields it does not take are left out', () => {
    assert.deepEqual(parseQueryArgs(Query.ClientCount, {}), { group: null });
    assert.deepEqual(parseQueryArgs(Query.ClientCount, { group: 'g', extra: 1 }), { group: 'g' });
    assert.deepEqual(parseQueryArgs(Query.UidClients, { uids: ['a', 'b'] }), { uids: ['a', 'b'] });
    assert.deepEqual(parseQueryArgs(Query.GroupIds, { anything: true }), {});
    assert.deepEqual(parseQueryArgs(Query.ClientIds, { group: ['g', 'h'] }), { group: ['g', 'h'] });
  });

  it('refuses malformed arguments with SB_ERR_INVALID_ARGUMENT', () => {
    const bad: [Parameters<typeof parseQueryArgs>[0], Record<string, unknown>][] = [
      [Query.UidClients, {}],
      [Query.UidClients, { uids: 'a' }],
      [Query.UidClients, { uids: ['a', 1] }],
      [Query.ClientInfo, { clients: ['x'.repeat(MAX_NAME_LENGTH + 1)] }],
      [Query.ClientIds, { group: 5 }],
      [Query.ClientIds, { group: ['g', 5] }],
      [Query.Uids, { group: {} }],
      [Query.GroupCounts, { groups: null }],
    ];
    for (const [q, args] of bad) assert.throws(() => parseQueryArgs(q, args), { code: 'SB_ERR_INVALID_ARGUMENT' });
  });

  it("checks a gateway's answer against the query's result shape", () => {
    const fits: [Parameters<typeof isResultOf>[0], unknown, boolean][] = [
      [Query.ClientCount, 3, true],
      [Query.ClientCount, -1, false],
      [Query.ClientCount, 1.5, false],
      [Query.ClientIds, ['a'], true],
      [Query.ClientIds, ['a', 2], false],
      [Query.GroupClientIds, { g: ['a'] }, true],
      [Query.GroupClientIds, { g: 'a' }, false],
      [Query.GroupCounts, { g: 2 }, true],
      [Query.GroupCounts, { g: '2' }, false],
      [Query.ClientSessions, { c: { x: 1 } }, true],
      [Query.ClientSessions, { c: [1] }, false],
      [Query.ClientInfo, { c: { uid: null, session: {} } }, true],
      [Query.ClientInfo, { c: { uid: 'u', session: {} } }, true],
      [Query.ClientInfo, { c: { uid: 4, session: {} } }, false],
      [Query.ClientInfo, [], false],
      [Query.GroupIds, null, false],
    ];
    for (const [q, value, ok] of fits) assert.equal(isResultOf(q, value), ok, `${q} ${JSON.stringify(value)}`);
  });
});
