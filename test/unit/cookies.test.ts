import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCookies } from '../../business/cookies.ts';

describe('parseCookies', () => {
  it('reads name=value pairs, decoding values and dropping quotes', () => {
    assert.deepEqual(parseCookies('sid=abc; theme="dark"; name=J%C3%BCrgen'), {
      sid: 'abc',
      theme: 'dark',
      name: 'Jürgen',
    });
    assert.deepEqual(parseCookies(['a=1', 'b=2; a=3']), { a: '1', b: '2' }, 'first wins, several headers read');
  });

  it('never throws on what a client may send, and keeps __proto__ an own property', () => {
    assert.deepEqual(parseCookies(undefined), {});
    assert.deepEqual(parseCookies(''), {});
    assert.deepEqual(parseCookies('junk; =x; bad=%E0%A4%A; ok=1'), { bad: '%E0%A4%A', ok: '1' });
    const out = parseCookies('__proto__=x');
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 'x');
  });
});
