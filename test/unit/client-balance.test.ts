// Spreading clients over workers: the plan (client-balance.ts) on its own, then the router carrying it out,
// driven without sockets (workers are recording peers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { planMoves, type BalanceSlot } from '../../gateway/client-balance.ts';
import { ClientState } from '../../gateway/client-registry.ts';
import { WorkerRouter, type RoutedWorker } from '../../gateway/worker-router.ts';
import { Cmd } from '../../shared/commands.ts';
import { createLogger } from '../../shared/logger.ts';
import { RecordingPeer as Peer } from '../helpers/recording-peer.ts';

describe('planMoves', () => {
  const slot = (name: string, clients: string[], load = clients.length) => ({ name, clients, load });
  const counts = (workers: BalanceSlot<string>[], moves: { from: BalanceSlot<string>; to: BalanceSlot<string> }[]) =>
    workers.map((w) => w.load - moves.filter((m) => m.from === w).length + moves.filter((m) => m.to === w).length);
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('gives a joining worker half of the clients of the only other one, the oldest first', () => {
    const a = slot('a', ids('a', 10));
    const b = slot('b', []);
    const moves = planMoves([a, b], () => true);
    assert.deepEqual(
      moves.map((m) => [m.client, m.from.name, m.to.name]),
      ids('a', 5).map((c) => [c, 'a', 'b']),
    );
  });

  it('moves the fewest clients: the third worker takes a third, the others give evenly', () => {
    const workers = [slot('a', ids('a', 5)), slot('b', ids('b', 5)), slot('c', [])];
    const moves = planMoves(workers, () => true);
    assert.equal(moves.length, 3);
    assert.deepEqual(counts(workers, moves).sort(), [3, 3, 4]);
    assert.ok(moves.every((m) => m.to.name === 'c'));
  });

  it('moves nobody when the counts differ by one at most, or with one worker', () => {
    assert.deepEqual(
      planMoves([slot('a', ids('a', 4)), slot('b', ids('b', 3))], () => true),
      [],
    );
    assert.deepEqual(
      planMoves([slot('a', ids('a', 9))], () => true),
      [],
    );
    assert.deepEqual(
      planMoves([], () => true),
      [],
    );
  });

  it('counts clients that cannot move where they are, and evens out with the others', () => {
    // a holds 6 that must stay (keyed) and 2 that may move; b holds 2.
    const a = slot('a', [...ids('k', 6), 'm0', 'm1']);
    const b = slot('b', ids('b', 2));
    const moves = planMoves([a, b], (c: string) => c.startsWith('m'));
    assert.deepEqual(
      moves.map((m) => m.client),
      ['m0', 'm1'],
      'only the movable ones, even though 8 against 2 is still uneven after',
    );
    // Then the worker that can still give gives.
    const c = slot('c', ids('c', 6));
    const d = slot('d', []);
    const more = planMoves([a, c, d], (x: string) => !x.startsWith('k'));
    assert.deepEqual(counts([a, c, d], more), [6, 4, 4], 'a gave its two movable ones and kept its keyed six');
  });

  it('takes the loads as given: clients already planned to move count where they go', () => {
    const a = slot('a', ids('a', 6), 3); // 3 of them already leaving
    const b = slot('b', [], 3); // and coming here
    assert.deepEqual(
      planMoves([a, b], () => true),
      [],
    );
  });
});

function setup(maxEventsInFlight = 4) {
  const router = new WorkerRouter(createLogger({}, 'silent'), 100, () => {}, maxEventsInFlight);
  const client = (id: string) => new ClientState(id, {} as WebSocket, '1.1.1.1');
  const message = (c: ClientState, data: string) => router.enqueue(c, { kind: 'message', data });
  const worker = (name: string): [RoutedWorker, Peer] => {
    const peer = new Peer(name);
    return [router.addWorker(peer), peer];
  };
  /** Clients bound to `w`, each with one event sent and done. */
  const idleOn = (w: RoutedWorker, prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const c = client(`${prefix}${i}`);
      message(c, 'first');
      assert.equal(c.worker, w);
      router.done(w, c);
      return c;
    });
  return { router, client, message, worker, idleOn };
}

describe('WorkerRouter balancing', () => {
  it('moves half of the clients to a worker that joins, each at its next event, and counts the moves', () => {
    const { router, message, worker, idleOn } = setup();
    const [w1, p1] = worker('w1');
    const clients = idleOn(w1, 'c', 10);
    p1.take();
    const [w2, p2] = worker('w2');
    assert.equal(w2.clients.size, 0, 'nobody moves before it has an event to send');
    for (const c of clients) {
      message(c, 'x');
      if (c.worker === w2) router.done(w2, c); // the first one there proves w2 runs handlers
    }
    assert.deepEqual([w1.clients.size, w2.clients.size], [5, 5]);
    assert.equal(router.clientsMoved, 5);
    assert.equal(p1.take().length + p2.take().length, 10, 'every event sent once');
    // Balanced: nothing more moves, whatever the clients do.
    for (const c of clients) message(c, 'y');
    assert.equal(router.clientsMoved, 5);
  });

  it('holds the events of a busy client until its old worker has done the ones it has, then moves it', () => {
    const { router, client, message, worker } = setup(4);
    const [w1, p1] = worker('w1');
    const a = client('a');
    message(a, '1');
    message(a, '2');
    const b = client('b');
    message(b, 'b1');
    router.done(w1, b);
    const [w2, p2] = worker('w2');
    // a is the oldest on w1, so a is planned to move; it still has 2 events in flight there.
    message(a, '3');
    assert.deepEqual(p1.take(), ['a:message:1', 'a:message:2', 'b:message:b1'], 'no new event for the old worker');
    assert.deepEqual(p2.take(), [], 'nor for the new one: it would overtake');
    router.done(w1, a);
    assert.deepEqual([p1.take(), p2.take()], [[], []]);
    a.session = { count: 2 };
    router.done(w1, a);
    const sent = p2.sent[0];
    assert.deepEqual(p2.take(), ['a:message:3']);
    assert.ok(sent?.cmd === Cmd.EvMessage && !('ahead' in sent), 'nothing ahead: it carries the whole session');
    assert.deepEqual(sent.session, { count: 2 }, 'the session the old worker left');
    assert.equal(a.worker, w2);
    assert.equal(w1.clients.has(a), false);
    message(a, '4');
    message(a, '5');
    assert.deepEqual(p2.take(), ['a:message:4', 'a:message:5'], 'then the window is used there');
  });

  it('sends one client at a time to a worker that has not done an event yet', () => {
    const { router, message, worker, idleOn } = setup();
    const [w1] = worker('w1');
    const clients = idleOn(w1, 'c', 6);
    const [w2, p2] = worker('w2');
    for (const c of clients) message(c, 'x');
    assert.equal(w2.clients.size, 1, 'the first planned client only: w2 may still be starting');
    assert.equal(w1.clients.size, 5, 'the others were served where they were');
    for (const c of clients) router.done(c.worker!, c);
    for (const c of clients) message(c, 'y');
    assert.equal(w2.clients.size, 3, 'once w2 has done an event, the rest of its share follows');
    assert.equal(p2.take().filter((e) => e.endsWith(':x')).length, 1);
  });

  it('moves idle planned clients at once, as soon as the new worker has done an event', () => {
    const { router, message, worker, idleOn } = setup();
    const [w1] = worker('w1');
    const clients = idleOn(w1, 'c', 8);
    const [w2] = worker('w2');
    assert.equal(router.movesPlanned, 4);
    assert.equal(w2.load, 4, 'the planned moves count where they go');
    message(clients[0]!, 'x');
    assert.equal(clients[0]!.worker, w2, 'the oldest goes first');
    assert.deepEqual([w2.clients.size, router.movesPlanned], [1, 3]);
    router.done(w2, clients[0]!);
    assert.deepEqual([w1.clients.size, w2.clients.size], [4, 4], 'the idle ones moved without an event of theirs');
    assert.deepEqual([router.movesPlanned, router.clientsMoved], [0, 4]);
    // Three of w2's clients leave: 4 against 1. Nothing moves for that (new clients go to w2)...
    for (const c of [...w2.clients].slice(1)) {
      c.gone = true;
      router.enqueue(c, { kind: 'close' });
      router.done(w2, c);
    }
    assert.deepEqual([w1.clients.size, w2.clients.size, router.movesPlanned], [4, 1, 0]);
    // ...until the workers change: then an idle client moves at once to a worker that has done events.
    const [w3] = worker('w3');
    assert.deepEqual([w1.clients.size, w2.clients.size], [3, 2], 'one moved from w1 to w2 at once');
    assert.deepEqual([router.movesPlanned, w1.load, w3.load], [1, 2, 1], 'the one for w3 waits for an event there');
    router.removeWorker(w3);
    assert.deepEqual([router.movesPlanned, w1.load, w2.load], [0, 3, 2], 'forgotten with w3; 3 against 2 is fair');
  });

  it('never moves a client with a route key; it counts where its key puts it', () => {
    const { router, client, message, worker } = setup();
    const [w1] = worker('w1');
    const keyed = Array.from({ length: 4 }, (_, i) => Object.assign(client(`k${i}`), { routeKey: 'room' }));
    for (const c of keyed) {
      message(c, 'x');
      router.done(w1, c);
    }
    const [w2] = worker('w2');
    for (const c of keyed) {
      message(c, 'y');
      router.done(c.worker!, c);
    }
    const home = keyed[0]!.worker;
    assert.ok(
      keyed.every((c) => c.worker === home),
      'all on the worker their key hashes to',
    );
    assert.equal(router.clientsMoved, 0);
    // New plain clients go to the less loaded worker.
    const plain = client('p');
    message(plain, 'z');
    assert.notEqual(plain.worker, home);
    assert.ok([w1, w2].includes(plain.worker!));
  });

  it('forgets the planned moves to a worker that drains or leaves, and the clients stay', () => {
    const { router, message, worker, idleOn } = setup();
    const [w1] = worker('w1');
    const clients = idleOn(w1, 'c', 4);
    const [w2] = worker('w2');
    router.drain(w2);
    for (const c of clients) message(c, 'x');
    assert.equal(w1.clients.size, 4);
    const [w3] = worker('w3');
    router.removeWorker(w3);
    for (const c of clients) router.done(w1, c);
    for (const c of clients) message(c, 'y');
    assert.equal(w1.clients.size, 4);
    assert.equal(router.clientsMoved, 0);
    assert.equal(w1.load, 4, 'no move left counted');
  });

  it('drops the planned move of a client that gets a route key, or whose worker drains', () => {
    const { router, client, message, worker, idleOn } = setup(4);
    const [w1, p1] = worker('w1');
    const [a, b] = idleOn(w1, 'c', 2);
    const busy = client('busy');
    message(busy, '1');
    const idle = client('idle');
    message(idle, '1');
    router.done(w1, idle);
    p1.take();
    const [w2, p2] = worker('w2');
    assert.equal(router.movesPlanned, 2, 'the two oldest');
    a!.routeKey = 'room';
    message(a!, 'k');
    assert.equal(router.movesPlanned, 1, 'a follows its key now');
    // w1 drains while b is planned to move: the drain takes over, and no event of busy overtakes another.
    message(busy, '2');
    p1.take();
    router.drain(w1);
    assert.equal(router.movesPlanned, 0);
    message(b!, 'x');
    assert.equal(b!.worker, w2, 'b was idle: it left the draining worker at once');
    message(busy, '3');
    assert.deepEqual(p2.take(), ['c1:message:x']);
    router.done(w1, busy);
    router.done(w1, busy);
    assert.deepEqual(p2.take(), ['busy:message:3']);
    assert.equal(router.clientsMoved, 0, 'moves off a draining worker are not counted as spreading');
  });

  it('moves only the share of a worker that comes and goes: its clients, and back', () => {
    const { router, message, worker, idleOn } = setup();
    const [w1] = worker('w1');
    const clients = idleOn(w1, 'c', 8);
    const round = () => {
      for (const c of clients) {
        message(c, 'x');
        router.done(c.worker!, c);
      }
    };
    for (let flap = 0; flap < 3; flap++) {
      const [w2] = worker(`w2-${flap}`);
      round();
      assert.equal(w2.clients.size, 4);
      router.removeWorker(w2);
      round();
      assert.equal(w1.clients.size, 8);
    }
    assert.equal(router.clientsMoved, 12, '4 per join; the way back is the leaving worker giving its clients up');
  });

  it('sends the close event of a client that left to the worker that had its other events', () => {
    const { router, worker, idleOn } = setup();
    const [w1, p1] = worker('w1');
    const [a] = idleOn(w1, 'a', 2);
    p1.take();
    const [, p2] = worker('w2');
    a!.gone = true;
    router.enqueue(a!, { kind: 'close' });
    assert.deepEqual(p1.take(), ['a0:close']);
    assert.deepEqual(p2.take(), []);
    assert.equal(router.clientsMoved, 0);
  });
});
