#!/usr/bin/env node
// Installs the TypeScript loader, so the CLI and the app's business/events.ts run with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
