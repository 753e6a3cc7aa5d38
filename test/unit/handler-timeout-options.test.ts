// --handler-timeout from the command line to the worker's options, through `start`, and what it bounds: the
// worker's drain and the supervisor's wait for a worker to exit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { businessFlags, businessOptions } from '../../cli/business-flags.ts';
import { addFlags, type Flag, type FlagValues } from '../../cli/flags.ts';
import { startFlags, startProcesses } from '../../cli/start-flags.ts';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DRAIN_MARGIN_MS,
  drainTimeoutMs,
  parseWorkerOptions,
} from '../../business/worker-options.ts';
import { createLogger } from '../../shared/logger.ts';

const log = createLogger({}, 'silent');

function parse(flags: readonly Flag<any>[], args: string[]): FlagValues {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  return addFlags(command, flags).parse(args, { from: 'user' }).opts();
}

describe('--handler-timeout', () => {
  it('defaults to 10 s, 0 turns it off, and it must be a whole number of ms', () => {
    assert.equal(DEFAULT_HANDLER_TIMEOUT_MS, 10_000);
    assert.equal(parseWorkerOptions({ log }).handlerTimeoutMs, 10_000);
    assert.equal(parseWorkerOptions({ log, handlerTimeoutMs: 0 }).handlerTimeoutMs, 0);
    assert.throws(() => parseWorkerOptions({ log, handlerTimeoutMs: -1 }), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => parseWorkerOptions({ log, handlerTimeoutMs: 1.5 }), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => parse(businessFlags, ['--handler-timeout', 'soon']), { code: 'commander.invalidArgument' });
  });

  it('is a business flag, and start hands it on to every worker', () => {
    assert.equal(businessOptions(parse(businessFlags, ['--handler-timeout', '250']), log).handlerTimeoutMs, 250);
    assert.equal(businessOptions(parse(businessFlags, []), log).handlerTimeoutMs, DEFAULT_HANDLER_TIMEOUT_MS);
    const groups = startProcesses(parse(startFlags, ['--workers', '2', '--handler-timeout', '1500']));
    const business = groups.find((g) => g.role === 'business')!;
    for (const i of [0, 1]) {
      assert.equal(businessOptions(parse(businessFlags, business.argsFor(i)), log).handlerTimeoutMs, 1500);
    }
  });

  it("bounds a worker's drain: the timeout and a margin; without one, 30 s", () => {
    assert.equal(drainTimeoutMs(10_000), 10_000 + DRAIN_MARGIN_MS);
    assert.equal(drainTimeoutMs(0), DEFAULT_DRAIN_TIMEOUT_MS);
  });

  it('makes start wait longer for a draining worker to exit when the timeout is long', () => {
    const exitTimeout = (args: string[]) =>
      startProcesses(parse(startFlags, args)).find((g) => g.role === 'business')!.exitTimeoutMs!;
    assert.equal(exitTimeout(['--handler-timeout', '60000']), 60_000 + 2 * DRAIN_MARGIN_MS);
    assert.ok(exitTimeout([]) < 35_000, 'within the supervisor’s own bound by default');
  });
});
