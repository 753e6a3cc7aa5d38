import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_PHP_DEPTH, phpSerialize, phpUnserialize } from '../../shared/php-serialize.ts';

const text = (value: unknown) => phpSerialize(value).toString('utf8');

describe('phpSerialize', () => {
  it('writes scalars as PHP does', () => {
    assert.equal(text(null), 'N;');
    assert.equal(text(undefined), 'N;');
    assert.equal(text(true), 'b:1;');
    assert.equal(text(false), 'b:0;');
    assert.equal(text(42), 'i:42;');
    assert.equal(text(-7), 'i:-7;');
    assert.equal(text(0.5), 'd:0.5;');
    assert.equal(text(Infinity), 'd:INF;');
    assert.equal(text(NaN), 'd:NAN;');
    assert.equal(text('hi'), 's:2:"hi";');
  });

  it('counts string lengths in bytes, and writes bytes as a string', () => {
    assert.equal(text('é'), 's:2:"é";');
    assert.equal(text('日本'), 's:6:"日本";');
    assert.deepEqual(
      phpSerialize(Buffer.from([0xff, 0x00])),
      Buffer.from([...Buffer.from('s:2:"'), 0xff, 0, ...Buffer.from('";')]),
    );
  });

  it('writes lists and maps as arrays, with integer-looking keys as integers', () => {
    assert.equal(text([]), 'a:0:{}');
    assert.equal(text({}), 'a:0:{}');
    assert.equal(text(['a', 1]), 'a:2:{i:0;s:1:"a";i:1;i:1;}');
    assert.equal(
      text({ name: 'x', 12: 'y', '012': 'z', '-3': 1 }),
      'a:4:{i:12;s:1:"y";s:4:"name";s:1:"x";s:3:"012";s:1:"z";i:-3;i:1;}',
    );
    assert.equal(text({ a: { b: [true] } }), 'a:1:{s:1:"a";a:1:{s:1:"b";a:1:{i:0;b:1;}}}');
  });

  it('refuses what has no PHP form, and nesting past the limit', () => {
    assert.throws(() => phpSerialize(() => 1), { code: 'SB_ERR_INVALID_ARGUMENT' });
    assert.throws(() => phpSerialize(Symbol('s')), { code: 'SB_ERR_INVALID_ARGUMENT' });
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_PHP_DEPTH; i++) deep = [deep];
    assert.throws(() => phpSerialize(deep), { code: 'SB_ERR_INVALID_ARGUMENT' });
  });
});

describe('phpUnserialize', () => {
  it("reads what PHP's serialize() writes", () => {
    assert.equal(phpUnserialize('N;'), null);
    assert.equal(phpUnserialize('b:1;'), true);
    assert.equal(phpUnserialize('i:-12;'), -12);
    assert.equal(phpUnserialize('d:0.1;'), 0.1);
    assert.equal(phpUnserialize('d:1.0E+25;'), 1e25);
    assert.equal(phpUnserialize('d:-INF;'), -Infinity);
    assert.equal(phpUnserialize('s:6:"日本";'), '日本');
    assert.equal(phpUnserialize('s:6:"a";b"c";'), 'a";b"c', 'quotes inside are counted, not parsed');
  });

  it('makes a list of an array keyed 0..n-1 in order, and an object of any other', () => {
    assert.deepEqual(phpUnserialize('a:0:{}'), []);
    assert.deepEqual(phpUnserialize('a:2:{i:0;s:1:"x";i:1;i:2;}'), ['x', 2]);
    assert.deepEqual(phpUnserialize('a:2:{i:1;s:1:"x";i:0;i:2;}'), { 0: 2, 1: 'x' });
    assert.deepEqual(phpUnserialize('a:2:{s:4:"name";s:5:"alice";i:7;a:1:{i:0;N;}}'), { name: 'alice', 7: [null] });
  });

  it('keeps a "__proto__" key a plain property', () => {
    const value = phpUnserialize('a:1:{s:9:"__proto__";a:1:{s:5:"admin";b:1;}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal((value as { admin?: unknown }).admin, undefined);
  });

  it('refuses malformed input, objects, references, trailing bytes and huge declared sizes', () => {
    for (const bad of [
      '',
      'N',
      'x:1;',
      'i:;',
      'i:1.5;',
      'i:99999999999999999999;',
      'b:2;',
      'd:abc;',
      's:5:"abc";',
      's:-1:"";',
      's:3:"abc"',
      'a:1:{i:0;}',
      'a:1:{d:0.5;i:1;}',
      'a:99999999:{}',
      'O:8:"stdClass":0:{}',
      'a:1:{i:0;r:1;}',
      'C:3:"Foo":0:{}',
      'i:1;i:2;',
    ]) {
      assert.throws(() => phpUnserialize(bad), { code: 'SB_ERR_INVALID_ARGUMENT' }, JSON.stringify(bad));
    }
    assert.throws(() => phpUnserialize('a:1:{i:0;'.repeat(MAX_PHP_DEPTH + 1) + 'N;' + '}'.repeat(MAX_PHP_DEPTH + 1)), {
      code: 'SB_ERR_INVALID_ARGUMENT',
    });
  });

  it('reads back whatever it writes (property)', () => {
    const key = fc.oneof(fc.string(), fc.integer({ min: -1000, max: 1000 }).map(String));
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
        fc.string(),
        fc.array(tie('any'), { maxLength: 4 }),
        fc.dictionary(key, tie('any'), { maxKeys: 4 }),
      ),
    })).any;
    fc.assert(
      fc.property(value, (v) => {
        const again = phpUnserialize(phpSerialize(v));
        // An object keyed 0..n-1 in order is a list in PHP: compare in PHP's terms.
        assert.deepEqual(phpSerialize(again), phpSerialize(v));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but SB_ERR_INVALID_ARGUMENT on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          phpUnserialize(bytes);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'SB_ERR_INVALID_ARGUMENT');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
