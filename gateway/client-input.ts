import { ClientLogCode } from '../shared/errors.ts';
import type { ClientState } from './client-registry.ts';
import { OPEN } from './client-connection.ts';
import { CloseCode } from './close-codes.ts';
import type { GatewayCounters } from './gateway-metrics.ts';
import type { ResolvedGatewayOptions } from './gateway-options.ts';
import { RateLimit } from './rate-limit.ts';
import type { WorkerRouter } from './worker-router.ts';

type InputOptions = Pick<ResolvedGatewayOptions, 'maxMessagesPerSecond' | 'maxPendingEvents' | 'log'>;

/**
 * What clients send, on its way to their workers: counted, held to the rate limit (a client over it is not
 * read until it is within it again, so TCP slows it down), and queued within the pending-events limit. A
 * client past a limit is closed once, with a logged reason; what it still sends is dropped and counted.
 */
export class ClientInput {
  constructor(
    private readonly options: InputOptions,
    private readonly counters: GatewayCounters,
    private readonly router: WorkerRouter,
  ) {}

  /** Counts a message and applies the rate limit; false when it is not to be handled. */
  admit(client: ClientState, bytes: number): boolean {
    client.missedPings = 0;
    const { counters } = this;
    counters.messagesIn++;
    counters.bytesIn += bytes;
    if (client.gone) return false;
    // Closing (refused, or closed by a worker): the rest of what it sent is dropped and counted, not logged again.
    if (client.conn.readyState !== OPEN) {
      counters.framesDropped.closing++;
      return false;
    }
    const { maxMessagesPerSecond } = this.options;
    // The bucket is made on the first message: idle clients need none.
    if (maxMessagesPerSecond > 0) client.rate ??= new RateLimit(maxMessagesPerSecond, 2 * maxMessagesPerSecond);
    if (client.rate) {
      const wait = client.rate.take();
      if (wait > 0) return this.throttle(client, wait);
    }
    return true;
  }

  /** Queues an admitted message for the client's worker; a client with too many waiting is closed with 1013. */
  queue(client: ClientState, data: string | Buffer): void {
    if (!this.router.enqueue(client, { kind: 'message', data })) {
      this.options.log.warn(`client ${client.id} has ${this.options.maxPendingEvents} events waiting: disconnected`, {
        code: ClientLogCode.TryAgainLater,
        ip: client.ip,
      });
      this.refuse(client, CloseCode.TryAgainLater, 'too many pending messages');
    }
  }

  /**
   * A client that left: a throttled one's timer is cancelled, and its messages still waiting for a worker are
   * dropped (counted as `left`), so no worker handles them long after it has gone.
   */
  left(client: ClientState): void {
    unthrottle(client);
    dropQueuedMessages(client, this.counters);
  }

  /**
   * A client over its rate: its socket is not read until the debt is paid, so TCP slows it down; one that owes
   * more than RATE_LIMIT_ABUSE_SECONDS of budget is closed with 1008. False when the message is not handled.
   */
  private throttle(client: ClientState, wait: number): boolean {
    const { maxMessagesPerSecond } = this.options;
    if (client.rate!.abusive) {
      this.options.log.warn(
        `client ${client.id} kept sending far above ${maxMessagesPerSecond} messages/s: disconnected`,
        { code: ClientLogCode.RateLimit, ip: client.ip },
      );
      this.refuse(client, CloseCode.PolicyViolation, 'message rate limit exceeded');
      return false;
    }
    if (!client.throttle) {
      this.counters.clientsThrottled++;
      client.conn.pause();
      client.throttle = setTimeout(readAgain, wait, client);
    }
    return true;
  }

  /**
   * Closes a client for what its last frame did (logged by the caller, once: admit drops what a closing client
   * still sends), and drops its messages still waiting for a worker.
   */
  private refuse(client: ClientState, code: number, reason: string): void {
    unthrottle(client); // the close handshake needs the client's socket read
    client.conn.close(code, reason);
    this.counters.framesDropped.refused++;
    dropQueuedMessages(client, this.counters);
  }
}

/** A throttled client's timer: read it again once it is within its rate, else wait for the rest of the debt. */
function readAgain(client: ClientState): void {
  client.throttle = null;
  if (client.gone) return;
  const wait = client.rate!.wait();
  if (wait > 0) client.throttle = setTimeout(readAgain, wait, client);
  else client.conn.resume();
}

/** Drops a client's messages still waiting for a worker, counted as `left`; its connect and close events stay. */
function dropQueuedMessages(client: ClientState, counters: GatewayCounters): void {
  const { queue } = client;
  let kept = 0;
  for (const event of queue) if (event.kind !== 'message') queue[kept++] = event;
  counters.framesDropped.left += queue.length - kept;
  queue.length = kept;
}

function unthrottle(client: ClientState): void {
  if (!client.throttle) return;
  clearTimeout(client.throttle);
  client.throttle = null;
  client.conn.resume();
}
