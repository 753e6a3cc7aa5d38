import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.ts';
import { scrapedMetrics } from '../shared/scraped-metrics.ts';
import type { GatewayServer } from './gateway-server.ts';

/**
 * Why a client message was dropped without reaching a worker: `refused`, the one that made the gateway close the
 * client (`--max-pending-events`, `--max-messages-per-second`); `closing`, one that arrived while the client was
 * being closed (by the gateway or a worker); `left`, one still waiting at the gateway when its client left or
 * was refused (only the client's close event goes on to a worker).
 */
export type DropReason = 'refused' | 'closing' | 'left';
const DROP_REASONS: readonly DropReason[] = ['refused', 'closing', 'left'];

/** Running totals the gateway keeps on its hot paths: plain numbers, read by metrics and status. */
export class GatewayCounters {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  slowConsumers = 0;
  droppedPushes = 0;
  connectionsOpened = 0;
  /** Send commands (to clients, uids, groups, all) received from workers and clients. */
  sendCommands = 0;
  /** Names in uid and group sends that no client here holds (the senders' directory false positives). */
  namesNotHeld = 0;
  /** Exceptions of the gateway's own code while handling a valid message (SB_ERR_INTERNAL): bugs. */
  internalErrors = 0;
  /** TCP clients cut off for bytes that are not a message of the protocol, or a message too large. */
  badMessages = 0;
  /** Times a client went over --max-messages-per-second and was not read until back within it. */
  clientsThrottled = 0;
  /** Client messages dropped without reaching a worker, by reason. */
  readonly framesDropped: Record<DropReason, number> = { refused: 0, closing: 0, left: 0 };
}

/** The gateway's Prometheus metrics, read from its counters and state when scraped. */
export function gatewayMetrics(server: GatewayServer): Registry {
  const registry = new Registry();
  const { counters, registry: clients, router } = server;
  const { counter, gauge } = scrapedMetrics(registry);
  gauge('switchboard_gateway_connections', 'Client connections open now', () => clients.clients.size);
  gauge('switchboard_gateway_uids', 'Distinct uids bound on this gateway', () => clients.uids.size);
  gauge('switchboard_gateway_groups', 'Groups with members on this gateway', () => clients.groups.size);
  gauge('switchboard_gateway_workers', 'Business workers linked (draining ones excluded)', () => router.workerCount);
  gauge('switchboard_gateway_queued_events', 'Client events waiting for a worker', () => router.queuedEvents());
  counter(
    'switchboard_gateway_connections_accepted_total',
    'Client connections accepted',
    () => counters.connectionsOpened,
  );
  counter('switchboard_gateway_messages_in_total', 'Messages received from clients', () => counters.messagesIn);
  counter('switchboard_gateway_bytes_in_total', 'Bytes received from clients', () => counters.bytesIn);
  counter('switchboard_gateway_messages_out_total', 'Messages handed to clients', () => counters.messagesOut);
  counter('switchboard_gateway_bytes_out_total', 'Bytes handed to clients', () => counters.bytesOut);
  counter(
    'switchboard_gateway_send_commands_total',
    'Send commands received from workers and clients (one per gateway a send was routed to)',
    () => counters.sendCommands,
  );
  counter(
    'switchboard_gateway_send_names_not_held_total',
    'Uids and groups named in sends that no client here holds: with directory routing, the false positives of ' +
      "the senders' directories and names that left meanwhile (dropped here, nothing else happens)",
    () => counters.namesNotHeld,
  );
  counter(
    'switchboard_gateway_membership_updates_total',
    'Coalesced MembershipUpdate frames sent to subscribed workers and clients (snapshots excluded)',
    () => server.membershipUpdates,
  );
  counter(
    'switchboard_gateway_slow_consumers_total',
    'Clients that stopped reading (closed, or pushes dropped)',
    () => counters.slowConsumers,
  );
  counter(
    'switchboard_gateway_dropped_pushes_total',
    'Pushes skipped for slow consumers (drop policy)',
    () => counters.droppedPushes,
  );
  counter(
    'switchboard_gateway_internal_errors_total',
    "Exceptions of the gateway's own code while handling a valid message (SB_ERR_INTERNAL, logged with a stack)",
    () => counters.internalErrors,
  );
  counter(
    'switchboard_gateway_bad_messages_total',
    'TCP clients cut off for bytes that are not a message of the protocol, or a message over --max-message-size',
    () => counters.badMessages,
  );
  counter(
    'switchboard_gateway_clients_throttled_total',
    'Times a client went over --max-messages-per-second and was not read until it was back within it',
    () => counters.clientsThrottled,
  );
  new Counter({
    name: 'switchboard_gateway_frames_dropped_total',
    help:
      'Client messages dropped without reaching a worker: refused (the one that got its client closed), closing ' +
      '(arrived while the client was being closed), left (waiting at the gateway when the client left)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of DROP_REASONS) this.inc({ reason }, counters.framesDropped[reason]);
    },
  });
  new Gauge({
    name: 'switchboard_gateway_protocol_info',
    help: 'What clients of this gateway speak (websocket, text, frame or a codec): always 1, the protocol as a label',
    labelNames: ['protocol'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ protocol: server.protocol }, 1);
    },
  });
  counter('switchboard_gateway_lost_events_total', 'Events lost with a worker that died', () => router.lostEvents);
  counter('switchboard_gateway_link_reconnects_total', 'Register links re-established', () => server.reconnects);
  new Counter({
    name: 'switchboard_gateway_events_routed_total',
    help: 'Client events sent to each worker',
    labelNames: ['worker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const worker of router.activeWorkers()) this.inc({ worker: worker.link.name }, worker.eventsRouted);
    },
  });
  counter(
    'switchboard_gateway_clients_moved_total',
    'Clients moved to another worker to give each worker a fair share (between their events)',
    () => router.clientsMoved,
  );
  gauge(
    'switchboard_gateway_clients_moving',
    'Clients planned to move to another worker at their next event with nothing in flight',
    () => router.movesPlanned,
  );
  new Gauge({
    name: 'switchboard_gateway_worker_clients',
    help: 'Clients bound to each worker taking events (their next events go there unless a move is planned)',
    labelNames: ['worker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const worker of router.activeWorkers()) this.set({ worker: worker.link.name }, worker.clients.size);
    },
  });
  collectProcessMetrics(registry, 'gateway');
  return registry;
}
