import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fingerprint, NameSet } from '../../gateway-api/name-set.ts';

/** Random add/remove sequences as the gateway sends them: a name is lost only while held. */
const operations = (names: number) =>
  fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: names - 1 })), { maxLength: 3000 });

/** Plays `ops` on a NameSet and on a plain Set; after every step each held name must be found. */
function play(set: NameSet, ops: [boolean, number][]): Set<string> {
  const model = new Set<string>();
  for (const [add, n] of ops) {
    const name = `user-${n}`;
    if (add && !model.has(name)) {
      set.add(name);
      model.add(name);
    } else if (!add && model.has(name)) {
      set.delete(name);
      model.delete(name);
    }
    for (const held of model) assert.ok(set.has(held), `${held} is held but not found`);
  }
  return model;
}

describe('NameSet', () => {
  it('never misses a held name over random add/remove sequences, exact or fingerprinted', () => {
    fc.assert(
      fc.property(operations(400), fc.integer({ min: 0, max: 64 }), (ops, exactLimit) => {
        const set = new NameSet(exactLimit);
        const model = play(set, ops);
        assert.equal(set.size, model.size);
      }),
      { numRuns: 60 },
    );
  });

  it('never misses a held name when fingerprints collide, runs wrap around the table and it grows and shrinks', () => {
    // 40 fingerprints for 600 names: long runs of equal values, duplicates deleted one at a time.
    const weak = (name: string) => ((fingerprint(name) % 40) + 1) * 107_374_182;
    fc.assert(
      fc.property(operations(600), (ops) => {
        const set = new NameSet(0, weak);
        const model = play(set, ops);
        assert.equal(set.size, model.size);
        for (const name of [...model]) set.delete(name);
        assert.equal(set.size, 0);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps few names exactly and switches to about 6 bytes a name past the limit', () => {
    const set = new NameSet(100);
    for (let i = 0; i < 100; i++) set.add(`u${i}`);
    assert.ok(set.isExact);
    assert.equal(set.has('u100'), false);
    set.add('u100');
    assert.equal(set.isExact, false);
    for (let i = 101; i < 200_000; i++) set.add(`u${i}`);
    for (let i = 0; i < 200_000; i++) assert.ok(set.has(`u${i}`));
    const perName = set.bytes / set.size;
    assert.ok(perName >= 5 && perName <= 7.6, `${perName} bytes a name`);
    let falsePositives = 0;
    for (let i = 0; i < 200_000; i++) if (set.has(`other-${i}`)) falsePositives++;
    // Expected: 200,000 / 2^32 per lookup, about 9 in 200,000 lookups.
    assert.ok(falsePositives < 100, `${falsePositives} false positives`);
    for (let i = 0; i < 199_000; i++) set.delete(`u${i}`);
    for (let i = 199_000; i < 200_000; i++) assert.ok(set.has(`u${i}`));
    assert.ok(set.bytes < 200_000, `shrank to ${set.bytes} bytes`);
  });

  it('gives fingerprints that are never 0 and spread over 32 bits', () => {
    assert.notEqual(fingerprint(''), 0);
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(fingerprint(`user-${i}`) >>> 20);
    assert.equal(seen.size, 4096, 'every top-12-bit bucket is used');
  });
});
