import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickByKey, routeWeight } from '../../gateway/route-hash.ts';

const keys = Array.from({ length: 3000 }, (_, i) => `room-${i}`);
const self = (name: string) => name;

function assign(names: string[]): Map<string, string> {
  return new Map(keys.map((k) => [k, pickByKey(k, names, self)!]));
}

describe('route hash', () => {
  it('is the same whatever order the workers are listed in, and a pure function of key and name', () => {
    const names = ['w0', 'w1', 'w2', 'w3'];
    const a = assign(names);
    const b = assign([...names].reverse());
    assert.deepEqual([...a], [...b]);
    // Fixed values: every gateway, on any machine, computes the same weights.
    assert.equal(routeWeight('room-1', 'w0'), routeWeight('room-1', 'w0'));
    assert.notEqual(routeWeight('room-1', 'w0'), routeWeight('room-1', 'w1'));
    assert.equal(pickByKey('k', [], self), undefined);
  });

  it('spreads keys about evenly', () => {
    const names = ['w0', 'w1', 'w2'];
    const counts = new Map<string, number>();
    for (const w of assign(names).values()) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const name of names) {
      const share = (counts.get(name) ?? 0) / keys.length;
      assert.ok(share > 0.28 && share < 0.39, `${name} gets ${share}`);
    }
  });

  it("moves only the keys the joining worker wins, and only the leaving worker's keys", () => {
    const three = assign(['w0', 'w1', 'w2']);
    const four = assign(['w0', 'w1', 'w2', 'w3']);
    let moved = 0;
    for (const [k, w] of four) {
      if (w !== three.get(k)) {
        assert.equal(w, 'w3', `${k} moved only to the newcomer`);
        moved++;
      }
    }
    assert.ok(moved > keys.length * 0.18 && moved < keys.length * 0.32, `about a quarter moved: ${moved}`);
    const two = assign(['w0', 'w2']);
    for (const [k, w] of three) if (w !== 'w1') assert.equal(two.get(k), w, `${k} stays`);
  });

  it('breaks a tie (one name twice) the same way whatever the order', () => {
    const items = [
      { name: 'w', at: 1 },
      { name: 'w', at: 2 },
    ];
    assert.equal(pickByKey('k', items, (i) => i.name)!.name, 'w');
  });
});
