// The folders are the architecture: roles meet only on the wire, so none imports another role or the CLI.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The top-level folders each folder may import from (besides itself and packages). */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  history: ['shared'],
  register: ['shared', 'history'],
  gateway: ['shared', 'history'],
  'gateway-api': ['shared', 'history'],
  business: ['shared', 'gateway-api'],
  'http-api': ['shared', 'gateway-api'],
  // The dashboard is served by the supervisor of `start`: it reads the supervisor's samples (types of cli/).
  dashboard: ['shared', 'cli'],
  // The chaos soak drives a whole cluster from outside, as an operator would: through the CLI's control socket
  // and the client library (a package import), never a role's internals.
  soak: ['cli'],
};

/** The top-level folders that the relative imports of every .ts file under `folder` reach. */
function importedFolders(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(join(ROOT, path), 'utf8');
        for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
          const target = join(dir, specifier!).split('/')[0]!;
          if (target !== folder) found.set(target, path);
        }
      }
    }
  };
  walk(folder);
  return found;
}

describe('layout', () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      for (const [target, file] of importedFolders(folder)) {
        assert.ok(allowed.includes(target), `${file} imports from ${target}/`);
      }
    });
  }
});
