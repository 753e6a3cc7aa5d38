#!/usr/bin/env node
// Runs the CLI from this repository's TypeScript sources (`npm start`, the tests, the bench): installs tsx, and
// makes `import … from 'switchboard'` resolve to the sources rather than to dist/, which only `npm pack` builds.
// The published package does not ship this file: its `switchboard` command is the compiled dist/cli/main.js.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./source-condition.js', import.meta.url);
registerTsx();
await import('../cli/main.ts');
