// The browser client library is JavaScript with JSDoc types; browser-client/types/ holds its declarations for
// TypeScript users. They are generated (`npm run client:types`) and committed: this fails when they no longer
// match the code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'switchboard-browser-client-types-'));

describe('browser client library declarations', () => {
  after(() => rmSync(out, { recursive: true, force: true }));

  it('browser-client/types/ is what tsc makes of browser-client/*.js today', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(root, 'browser-client'), '--outDir', out], { stdio: 'pipe' });
    const committed = join(root, 'browser-client/types');
    const generated = [...readdirSync(out), 'client-types.d.ts'].sort();
    assert.deepEqual(readdirSync(committed).sort(), generated, 'run npm run client:types');
    for (const file of generated) {
      const fresh = file === 'client-types.d.ts' ? join(root, 'browser-client', file) : join(out, file);
      assert.equal(
        readFileSync(join(committed, file), 'utf8'),
        readFileSync(fresh, 'utf8'),
        `browser-client/types/${file} is stale: run npm run client:types`,
      );
    }
  });
});
