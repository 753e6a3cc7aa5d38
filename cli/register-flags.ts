import type { RegisterOptions } from '../register/register-options.ts';
import type { Logger } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS } from '../shared/options.ts';
import {
  gatewayWorkerPlaintextFlag,
  heartbeatFlag,
  linkTls,
  listenerLinkFlags,
  logLevelFlag,
  metricsFlag,
  secretFlag,
} from './common-flags.ts';
import { toOptions, type Flag, type FlagValues } from './flags.ts';

/** `switchboard register`, in `--help` order, with the RegisterOptions field each flag sets. */
export const registerFlags: Flag<RegisterOptions>[] = [
  {
    flags: '--listen <host:port>',
    description: 'address to listen on',
    default: DEFAULT_REGISTER_ADDRESS,
    field: 'listen',
  },
  secretFlag,
  {
    flags: '--gatewayworker-listen <host:port>',
    description:
      "also answer PHP GatewayClient's register protocol here (its Gateway::$registerAddress); off by default",
    field: 'gatewayWorkerListen',
  },
  gatewayWorkerPlaintextFlag,
  heartbeatFlag,
  ...listenerLinkFlags,
  metricsFlag,
  logLevelFlag,
];

/** The options of the register the flags describe. */
export function registerOptions(values: FlagValues, log: Logger): RegisterOptions {
  return { ...toOptions(registerFlags, values), tls: linkTls(values), log };
}
