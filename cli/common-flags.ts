import { DEFAULT_QUERY_TIMEOUT, DEFAULT_ROUTING, ROUTINGS, type Routing } from '../gateway-api/gateway-api-options.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../shared/codec.ts';
import { DEFAULT_HISTORY_SIZE, DEFAULT_HISTORY_TTL, type HistoryOptions } from '../history/history-store.ts';
import { DEFAULT_MAX_LINK_BACKLOG } from '../shared/frame-writer.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../shared/handshake.ts';
import { DEFAULT_MAX_PENDING_HANDSHAKES } from '../shared/handshake-gate.ts';
import { DEFAULT_HEARTBEAT_INTERVAL, HEARTBEAT_MAX_MISSED } from '../shared/link.ts';
import { loadLinkTls, type LinkTls } from '../shared/link-tls.ts';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS, type LinkSettings } from '../shared/options.ts';
import { defaultControlPath } from './control-socket.ts';
import { integer, shiftPort, type Flag, type FlagValues } from './flags.ts';

// Flags that several roles share. Each role's own table (register-flags.ts, gateway-flags.ts …) lists them
// where they belong in its `--help`.

export const secretFlag: Flag<{ secret?: string }> = {
  flags: '--secret <secret>',
  description: 'shared secret, the same on every process (required off loopback)',
  env: 'SWITCHBOARD_SECRET',
  field: 'secret',
};

export const registerFlag: Flag<{ register?: string | readonly string[] }> = {
  flags: '--register <addresses>',
  description: 'register address(es), comma-separated HOST:PORT',
  default: DEFAULT_REGISTER_ADDRESS,
  field: 'register',
};

export const heartbeatFlag: Flag<LinkSettings> = {
  flags: '--heartbeat-interval <ms>',
  description: `ms between pings on internal links; a peer silent for ${HEARTBEAT_MAX_MISSED} intervals is dropped`,
  parse: integer,
  default: DEFAULT_HEARTBEAT_INTERVAL,
  field: 'heartbeatInterval',
};

export const routingFlag: Flag<{ routing?: Routing }> = {
  flags: '--routing <mode>',
  description: 'directory: send to a uid or group only via the gateways holding it; all: via every gateway',
  choices: ROUTINGS,
  default: DEFAULT_ROUTING,
  field: 'routing',
};

/** Where kept messages live, and how many and how long: flags of every process that keeps or replays them. */
export const historyFlags: Flag<HistoryOptions>[] = [
  {
    flags: '--history <store>',
    description:
      'kept messages: memory (held by the first --register, lost when it restarts) or redis://HOST:PORT (a Redis shared by every host)',
    default: 'memory',
    field: 'history',
  },
  {
    flags: '--history-size <n>',
    description: 'kept messages per uid or group; older ones are trimmed',
    parse: integer,
    default: DEFAULT_HISTORY_SIZE,
    field: 'historySize',
  },
  {
    flags: '--history-ttl <seconds>',
    description: 'a uid or group with no new kept message for this long loses its history',
    parse: integer,
    default: DEFAULT_HISTORY_TTL,
    field: 'historyTtl',
  },
];

export const queryTimeoutFlag: Flag<{ queryTimeout?: number }> = {
  flags: '--query-timeout <ms>',
  description: 'ms a query waits for each gateway',
  parse: integer,
  default: DEFAULT_QUERY_TIMEOUT,
  field: 'queryTimeout',
};

export const logLevelFlag: Flag = {
  flags: '--log-level <level>',
  description: 'debug, info, warn, error or silent',
  choices: LOG_LEVELS,
  default: DEFAULT_LOG_LEVEL,
};

/** The control socket of a running `switchboard start` (its own flag, and that of status, reload and stop). */
export const controlFlag: Flag = {
  flags: '--control <path>',
  description: 'control socket of the running supervisor',
  default: defaultControlPath(),
  defaultHelp: '$TMPDIR/switchboard-UID/control.sock, or SWITCHBOARD_CONTROL',
};

/** `--count N` of a role that can run as N copies under a supervisor. */
export const countFlag = (what: string): Flag => ({
  flags: '--count <n>',
  description: `run n ${what} processes under a supervisor`,
  parse: integer,
  default: 1,
});

/** The control socket of a `--count N` supervisor; `commands` are those it answers. */
export const copiesControlFlag = (commands: string): Flag => ({
  flags: '--control <path>',
  description: `with --count: a control socket for ${commands}`,
});

/** Prometheus metrics and the orchestrator's probes of one process; copy i of `--count` serves them on port + i. */
export const metricsFlag: Flag = {
  flags: '--metrics-listen <host:port>',
  description:
    'serve Prometheus metrics at http://HOST:PORT/metrics, and the probes /livez and /readyz (with --count, port + i)',
  perCopy: (address: string, index) => ['--metrics-listen', shiftPort(address, index)],
};

/**
 * The internal link flags of every role that links to others. `--tls-cert`, `--tls-key` and `--tls-ca` set
 * no field of their own: `linkTls` reads the three files into the one `tls` setting.
 */
export const linkFlags: Flag<Omit<LinkSettings, 'maxPendingHandshakes'>>[] = [
  {
    flags: '--tls-cert <file>',
    description: "TLS on internal links: this process's certificate (PEM), with --tls-key and --tls-ca",
  },
  { flags: '--tls-key <file>', description: "TLS on internal links: the certificate's private key (PEM)" },
  {
    flags: '--tls-ca <file>',
    description: "TLS on internal links: the cluster CA that signed every process's certificate",
  },
  {
    flags: '--max-frame-size <bytes>',
    description: 'largest internal frame accepted',
    parse: integer,
    default: DEFAULT_MAX_FRAME_SIZE,
    field: 'maxFrameSize',
  },
  {
    flags: '--handshake-timeout <ms>',
    description: 'time a peer has to prove the secret',
    parse: integer,
    default: DEFAULT_HANDSHAKE_TIMEOUT,
    field: 'handshakeTimeout',
  },
  {
    flags: '--max-link-backlog <bytes>',
    description: 'bytes waiting for a peer that does not read; past it the link is closed and made again',
    parse: integer,
    default: DEFAULT_MAX_LINK_BACKLOG,
    field: 'maxLinkBacklog',
  },
];

/** The link flags of a role that also listens for links (register, gateway): its limit on handshakes too. */
export const listenerLinkFlags: Flag<LinkSettings>[] = [
  ...linkFlags,
  {
    flags: '--max-pending-handshakes <n>',
    description: 'connections allowed mid-handshake at once; more are dropped',
    parse: integer,
    default: DEFAULT_MAX_PENDING_HANDSHAKES,
    field: 'maxPendingHandshakes',
  },
];

/** The `tls` link setting from `--tls-cert`, `--tls-key` and `--tls-ca`; throws when only some are given. */
export function linkTls(values: FlagValues): LinkTls | undefined {
  return loadLinkTls({
    tlsCert: values.tlsCert as string | undefined,
    tlsKey: values.tlsKey as string | undefined,
    tlsCa: values.tlsCa as string | undefined,
  });
}

/**
 * Accepts GatewayWorker's clear-text secret off loopback: a flag of `register`, `gateway` and `start`, for the
 * ports that serve PHP's GatewayClient.
 */
export const gatewayWorkerPlaintextFlag: Flag<{ gatewayWorkerAllowPlaintextSecret?: boolean }> = {
  flags: '--gatewayworker-allow-plaintext-secret',
  description:
    "serve GatewayWorker's protocol off loopback although PHP sends the secret in clear text (private networks only)",
  field: 'gatewayWorkerAllowPlaintextSecret',
  convert: (allow?: boolean) => allow === true,
};
