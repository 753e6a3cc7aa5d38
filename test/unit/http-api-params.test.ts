import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { P, readParams } from '../../http-api/params.ts';
import { CALLS, callNamed } from '../../http-api/routes.ts';

describe('HTTP API parameters', () => {
  it('reads named fields in the order of the call, optional ones as given', () => {
    const params = [P.groupOrGroups, P.data, P.exclude] as const;
    assert.deepEqual(readParams('sendToGroup', params, { data: { t: 1 }, group: 'g' }), [['g'], { t: 1 }, undefined]);
    assert.deepEqual(readParams('sendToGroup', params, { data: 'x', group: ['g', 7], exclude: null }), [
      ['g', 7],
      'x',
      null,
    ]);
    assert.deepEqual(readParams('sendToAll', [P.data, P.clientIds] as const, { data: 1, clientIds: 'c' }), [1, ['c']]);
  });

  it('refuses a missing or mistyped parameter with SB_ERR_INVALID_ARGUMENT', () => {
    const cases: Record<string, unknown>[] = [{ data: 'x' }, { uid: { no: 1 }, data: 'x' }, { uid: 'u', data: null }];
    for (const body of cases) {
      assert.throws(() => readParams('sendToUid', [P.uidOrUids, P.data] as const, body), {
        code: 'SB_ERR_INVALID_ARGUMENT',
      });
    }
    assert.throws(() => readParams('setSession', [P.clientId, P.session] as const, { clientId: 'c', session: [] }), {
      code: 'SB_ERR_INVALID_ARGUMENT',
    });
  });

  it('names every call by its kebab-case path or its own name', () => {
    assert.equal(callNamed('send-to-uid'), 'sendToUid');
    assert.equal(callNamed('getAllClientIdCount'), 'getAllClientIdCount');
    assert.equal(callNamed('toString'), undefined);
    assert.equal(CALLS.sendToUid.kind, 'send');
    assert.equal(CALLS.getSession.kind, 'query');
  });
});
