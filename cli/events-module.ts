import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `--events` is looked for when it is not given, in this order, in the current folder. */
export const EVENTS_MODULE_CANDIDATES = [
  'events.ts',
  'events.mts',
  'events.js',
  'events.mjs',
  'business/events.ts',
] as const;

/**
 * The demo chat that comes with the package. It sits beside this module with the same extension: `.ts` when
 * running from the sources, `.js` when running the compiled package.
 */
export const BUNDLED_DEMO_EVENTS = fileURLToPath(
  new URL(`../business/events${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export const EVENTS_FLAG_HELP =
  'handlers module (default: the first of ' +
  EVENTS_MODULE_CANDIDATES.map((file) => `./${file}`).join(', ') +
  ' that exists, else the bundled demo chat)';

/** The absolute path of the events module to run: the flag, else the first candidate that exists, else the demo. */
export function findEventsModule(flag: string | undefined, cwd = process.cwd()): string {
  if (flag) return resolve(cwd, flag);
  for (const file of EVENTS_MODULE_CANDIDATES) {
    const path = resolve(cwd, file);
    if (existsSync(path)) return path;
  }
  return BUNDLED_DEMO_EVENTS;
}

/** Whether `path` is the bundled demo chat (also when reached through a symbolic link). */
export function isBundledDemo(path: string): boolean {
  if (path === BUNDLED_DEMO_EVENTS) return true;
  try {
    return realpathSync(path) === realpathSync(BUNDLED_DEMO_EVENTS);
  } catch {
    return false;
  }
}

/** How a log line names the events module that runs. */
export function describeEventsModule(path: string): string {
  return isBundledDemo(path) ? 'the bundled demo chat' : path;
}
