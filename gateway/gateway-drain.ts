import type { Health } from '../shared/health.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientConnection } from './client-connection.ts';
import { CloseCode } from './close-codes.ts';

/** What a drain needs of the gateway. */
export interface Drainable {
  readonly health: Health;
  /** Open client connections now. */
  clientConnections(): Iterable<ClientConnection>;
  /** Clients whose close event a worker has not handled yet, open ones included. */
  unfinishedClients(): number;
  /** Refuse new clients (the public port stops listening; upgrades already under way get 1012). */
  stopAccepting(): void;
  stop(): Promise<void>;
}

/** Closes are made this often during a drain, each time a share of the clients still open. */
const SLICE_MS = 100;
/** After the last close, the workers' onClose handlers get this long before the gateway stops anyway. */
const CLOSE_EVENTS_GRACE_MS = 5000;

/**
 * The graceful end of a gateway under an orchestrator (SIGTERM with `drainTime` > 0):
 *
 * 1. `/readyz` fails at once, so the load balancer sends no new clients here;
 * 2. the public port stops accepting;
 * 3. clients are closed with 1012 (service restart), spread evenly over `drainTime`, so the gateways that
 *    take them over see a steady stream of reconnects rather than all of them in the same instant; the
 *    browser library reconnects on 1012 at once (with jitter), to whichever gateway the address leads to;
 * 4. once every close event has been handled by a worker (onClose ran, nothing is lost), the gateway stops.
 *
 * Sends to clients still open keep working throughout: the links to workers and registers stay up until the end.
 */
export async function drainGateway(gateway: Drainable, drainTime: number, log: Logger): Promise<void> {
  gateway.health.stopping = 'draining';
  gateway.stopAccepting();
  const sockets = [...gateway.clientConnections()];
  log.info(`draining: closing ${sockets.length} client(s) with 1012 over ${drainTime} ms`, {
    clients: sockets.length,
    drainTime,
  });
  const slices = Math.max(1, Math.ceil(drainTime / SLICE_MS));
  const perSlice = Math.ceil(sockets.length / slices);
  for (let i = 0; i < sockets.length; i += perSlice) {
    for (const conn of sockets.slice(i, i + perSlice)) conn.close(CloseCode.ServiceRestart, 'gateway draining');
    if (i + perSlice < sockets.length) await sleep(SLICE_MS);
  }
  const deadline = Date.now() + CLOSE_EVENTS_GRACE_MS;
  while (gateway.unfinishedClients() > 0 && Date.now() < deadline) await sleep(20);
  const left = gateway.unfinishedClients();
  if (left > 0) log.warn(`drained with ${left} close event(s) still unhandled after ${CLOSE_EVENTS_GRACE_MS} ms`);
  else log.info('drained: every client closed and its close event handled');
  await gateway.stop();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
