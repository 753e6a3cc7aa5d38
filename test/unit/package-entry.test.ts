import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

describe('package entry', () => {
  it('index.js re-exports every runtime export of index.ts, as the same objects', async () => {
    const sources = await import('../../index.ts');
    const entry = await import('../../index.js');
    assert.deepEqual(Object.keys(entry).sort(), Object.keys(sources).sort());
    for (const key of Object.keys(sources))
      assert.equal((entry as Record<string, unknown>)[key], (sources as Record<string, unknown>)[key], key);
  });
});
