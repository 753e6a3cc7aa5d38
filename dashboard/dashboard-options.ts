import { formatHostPort, isLoopback, parseHostPort, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';

/** Where `switchboard start` serves its dashboard unless told otherwise: loopback only. */
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:7271';
/** The environment variable read for `--dashboard-token`. */
export const DASHBOARD_TOKEN_ENV = 'SWITCHBOARD_DASHBOARD_TOKEN';

/** The dashboard of `switchboard start`, as its flags set it. */
export interface DashboardOptions {
  listen: HostPort;
  /** The address was given (`--dashboard`): when it is taken, `start` fails instead of going on without it. */
  explicit: boolean;
  /** Needed to see the page and its data; required off loopback. Null: none (loopback only). */
  token: string | null;
}

/**
 * The dashboard options from `start`'s flag values (`dashboard`: the address, false for `--no-dashboard`,
 * undefined for the default), or null when it is off. Throws SB_ERR_DASHBOARD_TOKEN_REQUIRED for an address
 * other hosts can reach without a token: the page shows every process, pid and figure of the cluster.
 */
export function parseDashboardOptions(values: {
  dashboard?: unknown;
  dashboardToken?: unknown;
}): DashboardOptions | null {
  if (values.dashboard === false) return null;
  const explicit = typeof values.dashboard === 'string';
  const listen = parseHostPort(explicit ? (values.dashboard as string) : DEFAULT_DASHBOARD_LISTEN);
  const token = (typeof values.dashboardToken === 'string' && values.dashboardToken) || null;
  if (!token && !isLoopback(listen.host)) {
    throw new SwitchboardError(
      ErrorCode.DashboardTokenRequired,
      `dashboard: ${formatHostPort(listen)} can be reached from other hosts, so a token is required: pass ` +
        `--dashboard-token T (or set ${DASHBOARD_TOKEN_ENV}) and open http://${formatHostPort(listen)}/?token=T, ` +
        'or keep the dashboard on loopback (the default), or pass --no-dashboard',
    );
  }
  return { listen, explicit, token };
}
