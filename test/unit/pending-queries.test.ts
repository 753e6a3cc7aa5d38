import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { PendingQueries } from '../../gateway-api/pending-queries.ts';
import { Cmd } from '../../shared/commands.ts';

const isNumber = (v: unknown): v is number => typeof v === 'number';
const result = (id: number, value: unknown) => ({ cmd: Cmd.QueryResult, id, value }) as const;
const error = (id: number, code: string) => ({ cmd: Cmd.QueryError, id, code, message: 'no' }) as const;

/** How `p` has settled by the next turn of the event loop: `{ value }`, `{ code }`, or 'pending'. */
async function state(p: Promise<unknown>): Promise<unknown> {
  let settled: unknown = 'pending';
  p.then(
    (value) => (settled = { value }),
    (err) => (settled = { code: err.code }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('PendingQueries', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('settles a query only with an answer from the gateway it was sent to', async () => {
    const pending = new PendingQueries(1000);
    const { id, answer } = pending.add('10.0.0.1:1238', 'count', isNumber);
    // Another gateway answering with the same id (a bug, or a peer replaying ids) must not settle it.
    assert.equal(pending.settle('10.0.0.2:1238', result(id, 99)), false);
    assert.equal(await state(answer), 'pending');
    assert.equal(pending.settle('10.0.0.1:1238', result(id, 3)), true);
    assert.deepEqual(await state(answer), { value: 3 });
    assert.equal(pending.size, 0);
  });

  it('keeps queries to two gateways apart when both are waiting', async () => {
    const pending = new PendingQueries(1000);
    const a = pending.add('a:1', 'count', isNumber);
    const b = pending.add('b:1', 'count', isNumber);
    assert.equal(pending.settle('a:1', result(b.id, 1)), false);
    assert.equal(pending.settle('b:1', result(a.id, 2)), false);
    pending.settle('b:1', result(b.id, 20));
    pending.settle('a:1', result(a.id, 10));
    assert.deepEqual(await Promise.all([a.answer, b.answer]), [10, 20]);
  });

  it('rejects with SB_ERR_QUERY_TIMEOUT when no answer comes in time, and ignores a late one', async () => {
    const pending = new PendingQueries(1000);
    const { id, answer } = pending.add('a:1', 'count', isNumber);
    mock.timers.tick(999);
    assert.equal(await state(answer), 'pending');
    mock.timers.tick(1);
    await assert.rejects(answer, { code: 'SB_ERR_QUERY_TIMEOUT' });
    assert.equal(pending.settle('a:1', result(id, 1)), false);
    assert.equal(pending.size, 0);
  });

  it('rejects an answer of the wrong shape with SB_ERR_QUERY_FAILED', async () => {
    const pending = new PendingQueries(1000);
    const { id, answer } = pending.add('a:1', 'count', isNumber);
    pending.settle('a:1', result(id, 'seven'));
    await assert.rejects(answer, { code: 'SB_ERR_QUERY_FAILED' });
  });

  it("passes on a gateway's error code, and one it does not know as SB_ERR_QUERY_FAILED", async () => {
    const pending = new PendingQueries(1000);
    const known = pending.add('a:1', 'count', isNumber);
    const unknown = pending.add('a:1', 'count', isNumber);
    pending.settle('a:1', error(known.id, 'SB_ERR_INVALID_ARGUMENT'));
    pending.settle('a:1', error(unknown.id, 'SB_ERR_MADE_UP'));
    await assert.rejects(known.answer, { code: 'SB_ERR_INVALID_ARGUMENT' });
    await assert.rejects(unknown.answer, { code: 'SB_ERR_QUERY_FAILED' });
  });

  it("fails only the gone gateway's queries, and every query on failAll", async () => {
    const pending = new PendingQueries(1000);
    const a = pending.add('a:1', 'count', isNumber);
    const b = pending.add('b:1', 'count', isNumber);
    pending.failGateway('a:1', 'gateway a:1 went away');
    await assert.rejects(a.answer, { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
    assert.equal(await state(b.answer), 'pending');
    pending.failAll();
    await assert.rejects(b.answer, { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
    assert.equal(pending.size, 0);
  });
});
