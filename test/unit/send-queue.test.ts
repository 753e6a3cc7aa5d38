import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendQueue } from 'switchboard/client';

describe('SendQueue', () => {
  it('keeps order, refuses past its limit, and empties on drain', () => {
    const queue = new SendQueue<string>(3);
    assert.equal(queue.push('a'), true);
    assert.equal(queue.push('b'), true);
    assert.equal(queue.push('c'), true);
    assert.equal(queue.push('d'), false, 'full: the newest is refused, the oldest kept');
    assert.equal(queue.length, 3);
    assert.deepEqual(queue.drain(), ['a', 'b', 'c']);
    assert.equal(queue.length, 0);
    assert.equal(queue.push('e'), true);
    assert.deepEqual(queue.drain(), ['e']);
  });

  it('holds nothing with a limit of 0', () => {
    const queue = new SendQueue<string>(0);
    assert.equal(queue.push('a'), false);
    assert.deepEqual(queue.drain(), []);
  });
});
