import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ReadyWaiters } from '../../gateway-api/ready-waiters.ts';
import { ErrorCode, SwitchboardError } from '../../shared/errors.ts';

const late = () => new SwitchboardError(ErrorCode.NoGateway, 'late');

describe('ReadyWaiters', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('resolves at once when ready', async () => {
    const waiters = new ReadyWaiters(() => true);
    await waiters.wait(100, late);
    assert.equal(waiters.size, 0);
  });

  it('resolves every waiter on the first check that finds it ready, not before', async () => {
    let ready = false;
    const waiters = new ReadyWaiters(() => ready);
    const both = Promise.all([waiters.wait(100, late), waiters.wait(200, late)]);
    waiters.check();
    assert.equal(waiters.size, 2);
    ready = true;
    waiters.check();
    assert.equal(waiters.size, 0);
    await both;
    mock.timers.tick(500); // their timers were cleared: nothing rejects later
  });

  it("rejects with the caller's error when its time is up", async () => {
    const waiters = new ReadyWaiters(() => false);
    const waiting = waiters.wait(100, late);
    mock.timers.tick(100);
    await assert.rejects(waiting, { code: 'SB_ERR_NO_GATEWAY' });
    assert.equal(waiters.size, 0);
  });

  it('rejects every waiter on cancel', async () => {
    const waiters = new ReadyWaiters(() => false);
    const waiting = waiters.wait(100, late);
    waiters.cancel(new SwitchboardError(ErrorCode.GatewayUnavailable, 'stopped'));
    await assert.rejects(waiting, { code: 'SB_ERR_GATEWAY_UNAVAILABLE' });
    assert.equal(waiters.size, 0);
  });
});
