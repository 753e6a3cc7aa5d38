import { Cmd, type MessageOf } from '../shared/commands.ts';
import { ErrorCode, isErrorCode, SwitchboardError } from '../shared/errors.ts';

/** A gateway's answer to one of our requests. */
export type Answer = MessageOf<typeof Cmd.QueryResult> | MessageOf<typeof Cmd.QueryError>;

interface Pending {
  /** Checks the answer's value and resolves with it, or rejects. */
  accept(value: unknown): void;
  reject(err: SwitchboardError): void;
  timer: NodeJS.Timeout;
}

/**
 * Requests sent to gateways and waiting for their answer (queries, counted sends), each with its own
 * timeout. They are kept per gateway: an answer settles only a request sent to the gateway it came from.
 */
export class PendingQueries {
  private readonly byGateway = new Map<string, Map<number, Pending>>();
  private nextId = 1;

  constructor(private readonly timeoutMs: number) {}

  /** Requests waiting for an answer, over all gateways. */
  get size(): number {
    let n = 0;
    for (const pending of this.byGateway.values()) n += pending.size;
    return n;
  }

  /**
   * A new request to `gateway`: its id (to send), and the answer's value once `isValid` accepts it. The answer
   * rejects with SB_ERR_QUERY_TIMEOUT after the timeout, SB_ERR_QUERY_FAILED for a value of the wrong shape,
   * or the gateway's error. `what` names the request in errors.
   */
  add<T>(gateway: string, what: string, isValid: (value: unknown) => value is T): { id: number; answer: Promise<T> } {
    const id = this.nextId++;
    let pending = this.byGateway.get(gateway);
    if (!pending) this.byGateway.set(gateway, (pending = new Map()));
    const waiting = pending;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(gateway, waiting, id);
        reject(
          new SwitchboardError(
            ErrorCode.QueryTimeout,
            `gateway ${gateway} did not answer ${what} within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      const accept = (value: unknown) => {
        if (isValid(value)) return resolve(value);
        reject(
          new SwitchboardError(ErrorCode.QueryFailed, `gateway ${gateway} answered ${what} with a malformed value`),
        );
      };
      waiting.set(id, { accept, reject, timer });
    });
    return { id, answer };
  }

  /**
   * Settles the request that `msg` answers, if `gateway` has one waiting with that id. False when none waits:
   * it timed out meanwhile, or the id is not one of that gateway's.
   */
  settle(gateway: string, msg: Answer): boolean {
    const waiting = this.byGateway.get(gateway);
    const pending = waiting?.get(msg.id);
    if (!waiting || !pending) return false;
    this.remove(gateway, waiting, msg.id);
    clearTimeout(pending.timer);
    if (msg.cmd === Cmd.QueryResult) pending.accept(msg.value);
    else if (isErrorCode(msg.code))
      pending.reject(new SwitchboardError(msg.code, `gateway ${gateway}: ${msg.message}`));
    else {
      pending.reject(
        new SwitchboardError(ErrorCode.QueryFailed, `gateway ${gateway}: ${msg.message} (unknown code ${msg.code})`),
      );
    }
    return true;
  }

  /** Rejects every request waiting for `gateway` with SB_ERR_GATEWAY_UNAVAILABLE and `message`. */
  failGateway(gateway: string, message: string): void {
    const waiting = this.byGateway.get(gateway);
    if (!waiting) return;
    this.byGateway.delete(gateway);
    for (const pending of waiting.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SwitchboardError(ErrorCode.GatewayUnavailable, message));
    }
  }

  /** Rejects every waiting request with SB_ERR_GATEWAY_UNAVAILABLE: we stop before they were answered. */
  failAll(): void {
    for (const gateway of [...this.byGateway.keys()]) {
      this.failGateway(gateway, `stopped before gateway ${gateway} answered`);
    }
  }

  private remove(gateway: string, waiting: Map<number, Pending>, id: number): void {
    waiting.delete(id);
    if (waiting.size === 0 && this.byGateway.get(gateway) === waiting) this.byGateway.delete(gateway);
  }
}
