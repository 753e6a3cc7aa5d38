import { Cmd, type Message, type MessageOf } from '../shared/commands.ts';
import { NameSet } from './name-set.ts';

/**
 * Which uids and groups one gateway holds, as far as this process knows: the gateway's snapshot and updates,
 * plus our own binds and joins it has not confirmed yet. Until the snapshot is complete every send goes to
 * the gateway whole, so knowing too little never loses a message; knowing too much only costs a wasted send.
 *
 * Why our own binds are tracked apart: an update already on its way ("uid 42 gone", from another client
 * leaving) can arrive after we sent `bindUid(c, 42)` but before the gateway applied it. Forgetting 42 then
 * would skip the gateway for a `sendToUid(42)` we make right after our bind. The gateway answers each of our
 * binds and joins in order (MembershipApplied), after the update it caused, so counting answers tells us
 * when the gateway's own word covers it.
 *
 * The gateway's names are kept in NameSets: exact while few, 32-bit fingerprints once many (about 6 bytes a
 * name), which may say "held" for a name that is not (a send the gateway drops) but never the reverse.
 */
export class GatewayMembership {
  readonly uids: NameSet;
  readonly groups: NameSet;
  private synced = false;
  /** Our BindUid/JoinGroup sent on this link and not yet answered, oldest first. */
  private readonly unconfirmed: [kind: 'uid' | 'group', key: string][] = [];
  private readonly unconfirmedUids = new Map<string, number>();
  private readonly unconfirmedGroups = new Map<string, number>();

  /** @param exactLimit names of each kind kept exactly before switching to fingerprints (NameSet). */
  constructor(exactLimit?: number) {
    this.uids = new NameSet(exactLimit);
    this.groups = new NameSet(exactLimit);
  }

  /** Takes in a MembershipUpdate, MembershipSynced or MembershipApplied from the gateway. */
  receive(msg: Message): void {
    switch (msg.cmd) {
      case Cmd.MembershipUpdate:
        return this.update(msg);
      case Cmd.MembershipSynced:
        this.synced = true;
        return;
      case Cmd.MembershipApplied: {
        const oldest = this.unconfirmed.shift();
        if (oldest) release(oldest[0] === 'uid' ? this.unconfirmedUids : this.unconfirmedGroups, oldest[1]);
        return;
      }
    }
  }

  /** Notes a message we are about to send this gateway: our own binds and joins count until confirmed. */
  sending(msg: Message): void {
    if (msg.cmd === Cmd.BindUid) this.expect('uid', this.unconfirmedUids, msg.uid);
    else if (msg.cmd === Cmd.JoinGroup) this.expect('group', this.unconfirmedGroups, msg.group);
  }

  /**
   * The part of a send this gateway needs: a uid or group send narrowed to the names it holds, null when it
   * holds none of them; any other message unchanged.
   */
  narrow(msg: Message): Message | null {
    if (!this.synced) return msg;
    if (msg.cmd === Cmd.SendToUids) {
      const uids = this.held(msg.uids, this.uids, this.unconfirmedUids);
      return uids === msg.uids ? msg : uids.length === 0 ? null : { ...msg, uids };
    }
    if (msg.cmd === Cmd.SendToGroups) {
      const groups = this.held(msg.groups, this.groups, this.unconfirmedGroups);
      return groups === msg.groups ? msg : groups.length === 0 ? null : { ...msg, groups };
    }
    return msg;
  }

  /** `names` itself when every one is held (the usual case allocates nothing, not even a closure), else those held. */
  private held(names: string[], known: NameSet, unconfirmed: Map<string, number>): string[] {
    let kept: string[] | null = null;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const has = known.has(name) || unconfirmed.has(name);
      if (has) kept?.push(name);
      else kept ??= names.slice(0, i);
    }
    return kept ?? names;
  }

  private update(msg: MessageOf<typeof Cmd.MembershipUpdate>): void {
    for (const uid of msg.uids) this.uids.add(uid);
    for (const uid of msg.uidsGone) this.uids.delete(uid);
    for (const group of msg.groups) this.groups.add(group);
    for (const group of msg.groupsGone) this.groups.delete(group);
  }

  private expect(kind: 'uid' | 'group', counts: Map<string, number>, key: string): void {
    this.unconfirmed.push([kind, key]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

function release(counts: Map<string, number>, key: string): void {
  const n = counts.get(key) ?? 0;
  if (n <= 1) counts.delete(key);
  else counts.set(key, n - 1);
}
