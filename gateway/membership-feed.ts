import { Cmd, type MessageOf } from '../shared/commands.ts';
import { encodeFrame } from '../shared/frame-encoder.ts';
import type { Link } from '../shared/link.ts';
import type { ClientRegistry, IndexKind } from './client-registry.ts';

/** @default 64 KiB: roughly how many characters of names one snapshot frame carries. */
const SNAPSHOT_CHUNK_CHARS = 64 * 1024;

type Update = MessageOf<typeof Cmd.MembershipUpdate>;

const emptyUpdate = (): Update => ({ cmd: Cmd.MembershipUpdate, uids: [], uidsGone: [], groups: [], groupsGone: [] });

/**
 * Tells subscribed workers and clients which uids and groups this gateway holds, so they send a uid or group
 * message only to the gateways with members: a snapshot when they subscribe, then one update per change.
 *
 * An update is queued on each subscriber's link the moment the registry changes, so whatever a subscriber
 * receives from this gateway afterwards (a client's next event, the answer to a query) comes after it on the
 * same link. And the gateway calls `flush()` before it writes anything to a client: the updates are handed to
 * the network before a client can see the effect of its bind (a reply saying "you are logged in") and make
 * anyone send to it.
 */
export class MembershipFeed {
  private readonly subscribers = new Set<Link>();
  /** Updates were queued since the last flush. */
  private unflushed = false;

  constructor(private readonly registry: ClientRegistry) {
    registry.onIndexChange = (kind, key, present) => this.changed(kind, key, present);
  }

  isSubscribed(link: Link): boolean {
    return this.subscribers.has(link);
  }

  /** Sends `link` everything the gateway holds now, in frames of bounded size, then MembershipSynced. */
  subscribe(link: Link): void {
    if (this.subscribers.has(link)) return;
    this.subscribers.add(link);
    let update = emptyUpdate();
    let chars = 0;
    const add = (field: 'uids' | 'groups', key: string) => {
      update[field].push(key);
      chars += key.length + 1;
      if (chars < SNAPSHOT_CHUNK_CHARS) return;
      link.send(update);
      update = emptyUpdate();
      chars = 0;
    };
    for (const uid of this.registry.uids.keys()) add('uids', uid);
    for (const group of this.registry.groups.keys()) add('groups', group);
    if (chars > 0) link.send(update);
    link.send({ cmd: Cmd.MembershipSynced });
  }

  unsubscribe(link: Link): void {
    this.subscribers.delete(link);
  }

  private changed(kind: IndexKind, key: string, present: boolean): void {
    if (this.subscribers.size === 0) return;
    const update = emptyUpdate();
    if (kind === 'uid') (present ? update.uids : update.uidsGone).push(key);
    else (present ? update.groups : update.groupsGone).push(key);
    // Encoded once for every subscriber: a login storm with many workers costs one encode per login.
    const frame = encodeFrame(update);
    for (const link of this.subscribers) link.sendFrame(frame);
    this.unflushed = true;
  }

  /** Writes queued updates to the network now (see the class comment). */
  flush(): void {
    if (!this.unflushed) return;
    this.unflushed = false;
    for (const link of this.subscribers) link.flush();
  }
}
