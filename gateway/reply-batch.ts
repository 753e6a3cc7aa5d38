import { Cmd, type Message } from '../shared/commands.ts';

/**
 * Commands that may overtake waiting sends by id: membership changes, and a worker's "event done" (which
 * only lets the client's next event go to a worker).
 */
const OVERTAKERS: ReadonlySet<number> = new Set([
  Cmd.BindUid,
  Cmd.UnbindUid,
  Cmd.JoinGroup,
  Cmd.LeaveGroup,
  Cmd.EventDone,
]);

/**
 * Lets a login storm's membership changes leave as one update per subscriber. A worker's handler typically
 * binds and replies (`bindUid`, then `sendToCurrentClient('ok')`), and a chunk from a worker carries many such
 * pairs. Before a reply reaches a client, the gateway must hand the pending membership update to the network
 * (MembershipFeed.flush), so replying between binds would cost one update frame per login.
 *
 * So while membership changes are pending, sends to clients by id (SendToClients) wait until the end of the
 * current input (a microtask), and later binds, joins, unbinds, leaves and "event done"s of the same input go
 * ahead of them: a send by id reaches the same clients whatever the membership, so that reordering changes
 * nothing a client can see. Any other command queues behind the waiting sends, and everything after it too,
 * keeping the link's order wherever an outcome depends on it (a sendToUid after an unbind, a close after a send).
 */
export class ReplyBatch {
  private readonly waiting: [execute: (msg: Message) => void, msg: Message][] = [];
  /** Every waiting command is a send by id, which OVERTAKERS may overtake. */
  private onlySends = true;
  private scheduled = false;
  private readonly run = () => this.drain();

  /** @param changesPending whether membership changes are waiting to be sent to subscribers. */
  constructor(private readonly changesPending: () => boolean) {}

  /**
   * Runs `execute(msg)` (the gateway's handling of `msg`, one function per link so no closure is made per
   * message) now, or after the waiting sends.
   */
  handle(msg: Message, execute: (msg: Message) => void): void {
    if (this.waiting.length === 0) {
      if (msg.cmd !== Cmd.SendToClients || !this.changesPending()) return execute(msg);
    } else if (this.onlySends && OVERTAKERS.has(msg.cmd)) {
      return execute(msg);
    }
    if (msg.cmd !== Cmd.SendToClients) this.onlySends = false;
    this.waiting.push([execute, msg]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.run);
    }
  }

  private drain(): void {
    this.scheduled = false;
    const waiting = this.waiting.splice(0);
    this.onlySends = true;
    for (const [execute, msg] of waiting) execute(msg);
  }
}
