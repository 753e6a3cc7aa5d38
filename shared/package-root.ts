import { existsSync } from 'node:fs';

/**
 * The folder holding Switchboard's package.json (and its browser-side files: the client library and the demo
 * page), found from this module's own place, so it is the same whether the code runs from the repository's
 * TypeScript sources or from the compiled dist/ of the installed package.
 */
export const PACKAGE_ROOT: URL = findPackageRoot(new URL('./', import.meta.url));

function findPackageRoot(start: URL): URL {
  for (let dir = start; ; dir = new URL('../', dir)) {
    if (existsSync(new URL('package.json', dir))) return dir;
    if (dir.pathname === '/') throw new Error(`no package.json above ${start.pathname}`);
  }
}
