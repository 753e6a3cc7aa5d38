import {
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_SLOW_HANDLER_MS,
  type BusinessWorkerOptions,
} from '../business/worker-options.ts';
import type { Logger } from '../shared/logger.ts';
import {
  copiesControlFlag,
  countFlag,
  heartbeatFlag,
  historyFlags,
  linkFlags,
  linkTls,
  logLevelFlag,
  metricsFlag,
  registerFlag,
  routingFlag,
  queryTimeoutFlag,
  secretFlag,
} from './common-flags.ts';
import { EVENTS_FLAG_HELP, findEventsModule } from './events-module.ts';
import { integer, toOptions, type Flag, type FlagValues } from './flags.ts';
import { WORKER_COUNT_ENV, WORKER_ID_ENV } from './supervisor.ts';

/** `--events` of `business` and of `start`: the app's handlers module, found in the current folder by default. */
export const eventsFlag: Flag<BusinessWorkerOptions> = {
  flags: '--events <file>',
  description: EVENTS_FLAG_HELP,
  field: 'events',
  convert: (file?: string) => findEventsModule(file),
};

/**
 * `--handler-timeout` of `business` and of `start` (which hands it on to its workers): past it, a running handler
 * is logged and counted, and its client's next event goes ahead.
 */
export const handlerTimeoutFlag: Flag<BusinessWorkerOptions> = {
  flags: '--handler-timeout <ms>',
  description:
    "a handler still running after this is logged (client, event, age) and counted, and the client's next event " +
    'goes ahead; its later Gateway calls throw SB_ERR_HANDLER_TIMEOUT; a drain waits this long at most (0 = never)',
  parse: integer,
  default: DEFAULT_HANDLER_TIMEOUT_MS,
  field: 'handlerTimeoutMs',
};

/** `switchboard business`, in `--help` order, with the BusinessWorkerOptions field each flag sets. */
export const businessFlags: Flag<BusinessWorkerOptions>[] = [
  eventsFlag,
  registerFlag,
  secretFlag,
  {
    flags: '--name <name>',
    description:
      'how this worker appears in gateway logs and keyed routing; unique per worker (default: PID@HOST; with --count, NAME-i)',
    field: 'name',
    // Keyed routing hashes over worker names: the copies must not share one.
    perCopy: (name: string, index) => ['--name', `${name}-${index}`],
  },
  queryTimeoutFlag,
  routingFlag,
  ...historyFlags,
  {
    flags: '--slow-handler <ms>',
    description: 'log a warning when a handler runs longer than this',
    parse: integer,
    default: DEFAULT_SLOW_HANDLER_MS,
    field: 'slowHandlerMs',
  },
  handlerTimeoutFlag,
  heartbeatFlag,
  ...linkFlags,
  metricsFlag,
  countFlag('business worker'),
  copiesControlFlag('status/reload/stop'),
  logLevelFlag,
];

/**
 * The worker's index and group size, which a supervisor (`--count`, `start --workers`) puts in the
 * environment; a worker run alone is 0 of 1.
 */
function workerIndex(env: NodeJS.ProcessEnv): Pick<BusinessWorkerOptions, 'id' | 'count'> {
  const id = env[WORKER_ID_ENV];
  const count = env[WORKER_COUNT_ENV];
  return id && count ? { id: Number(id), count: Number(count) } : {};
}

/** The options of the business worker the flags describe; `events` is always a path. */
export function businessOptions(values: FlagValues, log: Logger): BusinessWorkerOptions & { events: string } {
  const options = toOptions(businessFlags, values);
  return { ...options, ...workerIndex(process.env), events: String(options.events), tls: linkTls(values), log };
}
