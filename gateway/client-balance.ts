/**
 * Which clients move where when the workers of a gateway change, so that each worker holds a fair share of the
 * gateway's clients (as many as any other, give or take one).
 *
 * Why counts and not a hash of the client id: a hash spreads clients only on average, so a few clients can all
 * land on one worker and a worker that joins may get none; counting makes a joining worker's share exact. Why
 * only when the workers change: clients come and go all the time, and new ones already go to the least-loaded
 * worker, so rebalancing on every disconnect would move clients back and forth for nothing. Why the fewest
 * moves: a move is cheap (the client's next event goes elsewhere, carrying the session the gateway holds), but
 * it is still one client more to wait for its events in flight; a worker that joins N-1 others takes 1/N of
 * the clients and nobody else moves. Each planned move makes the spread strictly narrower (the worker it leaves
 * holds at least two more than the one it joins), so plans never undo each other: no ping-pong between
 * workers that stay.
 */

/** A worker as a balance sees it. */
export interface BalanceSlot<C> {
  /** The clients it will hold once the moves already planned are done. */
  readonly load: number;
  /** Its clients, in the order they came: candidates to move. */
  readonly clients: Iterable<C>;
}

/** One planned move. */
export interface PlannedMove<C, W> {
  client: C;
  from: W;
  to: W;
}

/**
 * The moves that even out `workers`: each time one client from the worker holding the most (among those
 * with a client that `canMove` allows) to the worker holding the fewest, while they differ by two or more.
 * The oldest movable clients of a worker move first: an order that says nothing about how busy a client is,
 * so busy and idle clients move alike and the load follows the count. Clients that cannot move (a route key
 * says where they go) still count where they are.
 */
export function planMoves<C, W extends BalanceSlot<C>>(
  workers: readonly W[],
  canMove: (client: C) => boolean,
): PlannedMove<C, W>[] {
  const moves: PlannedMove<C, W>[] = [];
  if (workers.length < 2) return moves;
  const load = new Map<W, number>(workers.map((w) => [w, w.load]));
  /** Where each worker's search for a movable client goes on; gone once none is left. */
  const cursors = new Map<W, Iterator<C>>(workers.map((w) => [w, w.clients[Symbol.iterator]()]));
  for (;;) {
    let to: W | undefined;
    let from: W | undefined;
    for (const w of workers) {
      if (to === undefined || load.get(w)! < load.get(to)!) to = w;
      if (cursors.has(w) && (from === undefined || load.get(w)! > load.get(from)!)) from = w;
    }
    if (to === undefined || from === undefined || load.get(from)! - load.get(to)! < 2) return moves;
    const client = nextMovable(cursors.get(from)!, canMove);
    if (client === undefined) {
      cursors.delete(from);
      continue;
    }
    moves.push({ client, from, to });
    load.set(from, load.get(from)! - 1);
    load.set(to, load.get(to)! + 1);
  }
}

function nextMovable<C>(cursor: Iterator<C>, canMove: (client: C) => boolean): C | undefined {
  for (let step = cursor.next(); !step.done; step = cursor.next()) if (canMove(step.value)) return step.value;
  return undefined;
}
