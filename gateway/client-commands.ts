import { Cmd, type Message } from '../shared/commands.ts';
import { ClientLogCode } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { OPEN, type ClientWire } from './client-connection.ts';
import { NO_SESSION, type ClientRegistry, type ClientState } from './client-registry.ts';
import { CloseCode } from './close-codes.ts';
import type { GatewayCounters } from './gateway-metrics.ts';
import type { ResolvedGatewayOptions } from './gateway-options.ts';
import type { MembershipFeed } from './membership-feed.ts';
import type { PreparedFrame } from './prepared-frame.ts';
import { streamOf } from '../history/history-store.ts';
import { KeptDelivery, tagged } from './kept-delivery.ts';
import { KeptMessages, type KeptSend } from './kept-messages.ts';

/**
 * Carries out the commands that reach clients: sends (to clients, uids, groups, everyone) and the commands about
 * one client (bind, join, session, close). Every message to a client goes through `deliver`, which applies the
 * slow-consumer policy.
 */
export class ClientCommands {
  constructor(
    private readonly registry: ClientRegistry,
    private readonly membership: MembershipFeed,
    private readonly limits: Pick<ResolvedGatewayOptions, 'maxSendBuffer' | 'slowConsumer'>,
    private readonly counters: GatewayCounters,
    private readonly log: Logger,
    /** How messages are encoded and written for this gateway's protocol. */
    private readonly wire: ClientWire,
    /** Kept messages: the embedded history or the reader of Redis. */
    private readonly kept: KeptMessages,
  ) {
    this.keptDelivery = new KeptDelivery(kept, (client, out) => this.deliver(client, out), isMember, log);
  }

  private readonly keptDelivery: KeptDelivery;
  /** The current send's data tagged for recovering clients: made once per send, when one of them gets it. */
  private taggedOut: PreparedFrame | null = null;

  /** Clients that speak the recovery subprotocol get the same data with a tag in front. */
  private frameFor(client: ClientState, out: PreparedFrame, data: SendCommand['data']): PreparedFrame {
    return client.kept ? (this.taggedOut ??= tagged(data)) : out;
  }

  /** Hands the data of a send command to its clients; returns how many. */
  send(msg: SendCommand): number {
    const { registry } = this;
    this.membership.flush();
    const out = this.wire.prepare(msg.data);
    if (out === null) return 0;
    if ((msg.cmd === Cmd.SendToUids || msg.cmd === Cmd.SendToGroups) && msg.kept != null) {
      return this.sendKept(msg, out);
    }
    this.taggedOut = null;
    let delivered = 0;
    switch (msg.cmd) {
      case Cmd.SendToClients:
        for (const id of msg.clients) {
          const client = registry.get(id);
          if (client && this.deliver(client, this.frameFor(client, out, msg.data))) delivered++;
        }
        return delivered;
      case Cmd.SendToUids:
        for (const uid of msg.uids) {
          const clients = registry.uids.get(uid);
          if (clients)
            for (const client of clients) if (this.deliver(client, this.frameFor(client, out, msg.data))) delivered++;
        }
        return delivered;
      case Cmd.SendToGroups: {
        const exclude = new Set(msg.exclude);
        const sent = msg.groups.length > 1 ? new Set<ClientState>() : null;
        for (const group of msg.groups) {
          const members = registry.groups.get(group);
          if (!members) continue;
          for (const client of members) {
            if (exclude.has(client.id) || sent?.has(client)) continue;
            sent?.add(client);
            if (this.deliver(client, this.frameFor(client, out, msg.data))) delivered++;
          }
        }
        return delivered;
      }
      case Cmd.SendToAll: {
        const exclude = new Set(msg.exclude);
        for (const client of registry.clients.values()) {
          if (!exclude.has(client.id) && this.deliver(client, this.frameFor(client, out, msg.data))) delivered++;
        }
        return delivered;
      }
    }
  }

  /**
   * A kept send: every client gets its data, raw clients exactly as an ordinary send; a recovering client gets
   * it once per stream, with the stream's position, in order (KeptDelivery).
   */
  private sendKept(msg: KeptSend, out: PreparedFrame): number {
    const { registry } = this;
    const positions = this.kept.positions(msg);
    const streams = KeptMessages.streams(msg);
    const exclude = msg.cmd === Cmd.SendToGroups ? new Set(msg.exclude) : null;
    const rawSent = msg.cmd === Cmd.SendToGroups && msg.groups.length > 1 ? new Set<ClientState>() : null;
    let taggedOut: PreparedFrame | null = null;
    let delivered = 0;
    for (const [i, stream] of streams.entries()) {
      const members =
        msg.cmd === Cmd.SendToUids ? registry.uids.get(msg.uids[i]!) : registry.groups.get(msg.groups[i]!);
      if (!members) continue;
      const position = positions?.[i];
      for (const client of members) {
        if (exclude?.has(client.id)) continue;
        if (client.kept && position) {
          this.keptDelivery.live(client, stream, position, msg.data);
          delivered++;
        } else if (client.kept) {
          if (this.deliver(client, (taggedOut ??= tagged(msg.data)))) delivered++;
        } else if (!rawSent?.has(client)) {
          rawSent?.add(client);
          if (this.deliver(client, out)) delivered++;
        }
      }
    }
    return delivered;
  }

  /** Commands about one client; a client that is not (or no longer) here is skipped quietly. */
  client(msg: ClientCommand): void {
    const client = this.registry.get(msg.client);
    if (!client) return;
    switch (msg.cmd) {
      case Cmd.BindUid: {
        const before = client.uid;
        this.registry.bindUid(client, msg.uid);
        if (!client.kept || before === msg.uid) return;
        if (before !== null) this.keptDelivery.unsubscribed(client, streamOf('uid', before));
        return this.keptDelivery.subscribed(client, streamOf('uid', msg.uid));
      }
      case Cmd.UnbindUid:
        this.registry.unbindUid(client, msg.uid);
        if (client.kept && client.uid === null) this.keptDelivery.unsubscribed(client, streamOf('uid', msg.uid));
        return;
      case Cmd.JoinGroup: {
        const member = client.groups.has(msg.group);
        this.registry.joinGroup(client, msg.group);
        if (client.kept && !member) this.keptDelivery.subscribed(client, streamOf('group', msg.group));
        return;
      }
      case Cmd.LeaveGroup:
        this.registry.leaveGroup(client, msg.group);
        if (client.kept) this.keptDelivery.unsubscribed(client, streamOf('group', msg.group));
        return;
      case Cmd.SetSession:
        client.session = msg.session;
        return;
      case Cmd.UpdateSession:
        client.session =
          client.session === NO_SESSION ? { ...msg.session } : Object.assign(client.session, msg.session);
        return;
      case Cmd.CloseClient:
        this.membership.flush();
        if (msg.data != null) {
          const out = client.kept ? tagged(msg.data) : this.wire.prepare(msg.data);
          if (out) this.deliver(client, out);
        }
        client.conn.close(CloseCode.Normal);
        return;
      case Cmd.DestroyClient:
        client.conn.terminate();
        return;
      case Cmd.SetRouteKey:
        // Read by the router when it sends the client's next event.
        client.routeKey = msg.key ?? null;
        return;
    }
  }

  /**
   * Queues one message to one client, unless it stopped reading: then it is cut off as a slow consumer.
   * Returns whether the message was queued.
   */
  deliver(client: ClientState, out: PreparedFrame): boolean {
    const { conn } = client;
    if (conn.readyState !== OPEN) return false;
    if (conn.bufferedAmount > this.limits.maxSendBuffer) {
      if (this.limits.slowConsumer === 'drop') {
        this.counters.droppedPushes++;
        if (!client.slow) {
          client.slow = true;
          this.counters.slowConsumers++;
          this.log.warn(`client ${client.id} is not reading: dropping pushes to it until it catches up`, {
            code: ClientLogCode.SlowConsumerDrop,
            ip: client.ip,
          });
        }
        return false;
      }
      this.log.warn(`client ${client.id} is not reading (${conn.bufferedAmount} bytes queued): disconnected`, {
        code: ClientLogCode.SlowConsumer,
        ip: client.ip,
      });
      this.counters.slowConsumers++;
      conn.close(CloseCode.SlowConsumer, 'slow consumer');
      setTimeout(() => conn.terminate(), 1000).unref();
      return false;
    }
    if (client.slow) {
      client.slow = false;
      this.log.info(`client ${client.id} caught up: pushes to it resume`);
    }
    this.wire.write(conn, out);
    this.counters.messagesOut++;
    this.counters.bytesOut += out.payloadBytes;
    return true;
  }
}

/** Whether a client is in a stream: bound to its uid, or a member of its group. */
function isMember(client: ClientState, stream: string): boolean {
  if (stream.startsWith('uid:')) return client.uid === stream.slice(4);
  return client.groups.has(stream.slice(6));
}

/** A send command from a worker or GatewayClient. */
export type SendCommand = Extract<
  Message,
  { cmd: typeof Cmd.SendToClients | typeof Cmd.SendToUids | typeof Cmd.SendToGroups | typeof Cmd.SendToAll }
>;

/** A command about one client. */
export type ClientCommand = Extract<
  Message,
  {
    cmd:
      | typeof Cmd.BindUid
      | typeof Cmd.UnbindUid
      | typeof Cmd.JoinGroup
      | typeof Cmd.LeaveGroup
      | typeof Cmd.SetSession
      | typeof Cmd.UpdateSession
      | typeof Cmd.CloseClient
      | typeof Cmd.DestroyClient
      | typeof Cmd.SetRouteKey;
  }
>;
