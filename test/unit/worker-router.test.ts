// The gateway's per-client ordering, driven without sockets: workers are recording peers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ClientState } from '../../gateway/client-registry.ts';
import { WorkerRouter, type RoutedWorker } from '../../gateway/worker-router.ts';
import { pickByKey } from '../../gateway/route-hash.ts';
import { createLogger } from '../../shared/logger.ts';
import { RecordingPeer as Peer } from '../helpers/recording-peer.ts';

const request = { url: '/', query: {}, headers: {}, ip: '1.1.1.1', port: 1 };

function setup(maxPendingEvents = 100, maxEventsInFlight = 1) {
  const finished: string[] = [];
  const log = createLogger({}, 'silent');
  const router = new WorkerRouter(log, maxPendingEvents, (c) => finished.push(c.id), maxEventsInFlight);
  const client = (id: string) => new ClientState(id, {} as WebSocket, '1.1.1.1');
  const message = (c: ClientState, data: string) => router.enqueue(c, { kind: 'message', data });
  const worker = (name: string): [RoutedWorker, Peer] => {
    const peer = new Peer(name);
    return [router.addWorker(peer), peer];
  };
  return { router, client, message, worker, finished };
}

describe('WorkerRouter', () => {
  it('sends a client one event at a time, the next only when the worker said the previous is done', () => {
    const { router, client, message, worker } = setup();
    const [w, peer] = worker('w1');
    const a = client('a');
    router.enqueue(a, { kind: 'connect', request });
    message(a, '1');
    message(a, '2');
    assert.deepEqual(peer.take(), ['a:connect']);
    assert.equal(router.queuedEvents(), 2);
    router.done(w, a);
    assert.deepEqual(peer.take(), ['a:message:1']);
    router.done(w, a);
    assert.deepEqual(peer.take(), ['a:message:2']);
    router.done(w, a);
    assert.deepEqual(peer.take(), []);
    assert.equal(a.inFlight, false);
    assert.equal(w.eventsRouted, 3);
  });

  it('runs different clients concurrently, spread over the least-loaded worker, and keeps each sticky', () => {
    const { router, client, message, worker } = setup();
    const [w1, p1] = worker('w1');
    const [w2, p2] = worker('w2');
    const [a, b, c] = [client('a'), client('b'), client('c')];
    message(a, 'a1');
    message(b, 'b1');
    message(c, 'c1');
    assert.deepEqual([p1.take(), p2.take()], [['a:message:a1', 'c:message:c1'], ['b:message:b1']]);
    router.done(w1, a);
    message(a, 'a2');
    assert.deepEqual(p1.take(), ['a:message:a2'], 'a stays with w1');
    assert.deepEqual(p2.take(), []);
    assert.equal(a.worker, w1);
    assert.equal(b.worker, w2);
  });

  it('ignores a done from a worker the client is not bound to, or with nothing in flight', () => {
    const { router, client, message, worker } = setup();
    const [w1, p1] = worker('w1');
    const [w2] = worker('w2');
    const a = client('a');
    message(a, '1');
    message(a, '2');
    router.done(w2, a);
    assert.deepEqual(p1.take(), ['a:message:1'], 'the second did not overtake the first');
    router.done(w1, a);
    assert.deepEqual(p1.take(), ['a:message:2']);
    router.done(w1, a);
    router.done(w1, a); // nothing in flight now
    assert.equal(a.inFlight, false);
    message(a, '3');
    assert.deepEqual(p1.take(), ['a:message:3']);
    assert.equal(a.inFlight, true);
  });

  it('holds events while no worker is linked and sends them, in order, to the first that comes', () => {
    const { router, client, message, worker } = setup();
    const a = client('a');
    router.enqueue(a, { kind: 'connect', request });
    message(a, '1');
    assert.equal(router.queuedEvents(), 2);
    const [w, peer] = worker('w1');
    assert.deepEqual(peer.take(), ['a:connect']);
    router.done(w, a);
    assert.deepEqual(peer.take(), ['a:message:1']);
  });

  it('when a worker leaves, counts its in-flight events as lost and moves its clients on, in order', () => {
    const { router, client, message, worker } = setup();
    const [w1, p1] = worker('w1');
    const a = client('a');
    const idle = client('idle');
    message(a, '1');
    message(a, '2');
    message(a, '3');
    message(idle, 'x');
    router.done(w1, idle);
    assert.deepEqual(p1.take(), ['a:message:1', 'idle:message:x']);
    router.removeWorker(w1);
    assert.equal(router.lostEvents, 1, 'only the one in flight');
    assert.equal(router.workerCount, 0);
    assert.equal(a.worker, null);
    const [w2, p2] = worker('w2');
    assert.deepEqual(p2.take(), ['a:message:2'], 'the next event, not the lost one again');
    router.done(w2, a);
    assert.deepEqual(p2.take(), ['a:message:3']);
    message(idle, 'y');
    assert.deepEqual(p2.take(), ['idle:message:y'], 'its idle client rebinds on its next event');
  });

  it('drains a worker: no new clients, busy ones move after their in-flight event, then WorkerDrained', () => {
    const { router, client, message, worker } = setup();
    const [w1, p1] = worker('w1');
    const [a, idle] = [client('a'), client('idle')];
    message(a, '1');
    message(a, '2');
    message(idle, 'x');
    router.done(w1, idle);
    p1.take();
    const [w2, p2] = worker('w2');
    router.drain(w1);
    assert.equal(router.workerCount, 1);
    assert.equal(idle.worker, null, 'an idle client moves at once');
    message(client('new'), 'n');
    assert.deepEqual(p2.take(), ['new:message:n'], 'a draining worker gets no new client');
    assert.deepEqual(p1.take(), []);
    router.done(w1, a);
    assert.deepEqual(p1.take(), ['drained'], 'its last in-flight event is done');
    assert.deepEqual(p2.take(), ['a:message:2'], "a's next event goes to the other worker");
    assert.equal(a.worker, w2);
  });

  it('tells a draining worker with nothing in flight at once that it is drained', () => {
    const { router, worker } = setup();
    const [w1, p1] = worker('w1');
    router.drain(w1);
    router.drain(w1);
    assert.deepEqual(p1.take(), ['drained'], 'once');
  });

  it("refuses a message past the client's queue bound, but never its close event", () => {
    const { router, client, message, worker, finished } = setup(2);
    const [w, peer] = worker('w1');
    const a = client('a');
    assert.equal(message(a, '1'), true); // in flight: not queued
    assert.equal(message(a, '2'), true);
    assert.equal(message(a, '3'), true);
    assert.equal(message(a, '4'), false, 'two are waiting already');
    a.gone = true;
    assert.equal(router.enqueue(a, { kind: 'close' }), true);
    for (let i = 0; i < 3; i++) router.done(w, a);
    assert.deepEqual(peer.take(), ['a:message:1', 'a:message:2', 'a:message:3', 'a:close']);
    assert.deepEqual(finished, []);
    router.done(w, a);
    assert.deepEqual(finished, ['a'], 'a gone client is forgotten once its close event is done');
    assert.equal(w.clients.size, 0);
  });

  describe('keyed', () => {
    /** A key that hashes to `name` among `names`. */
    const keyFor = (name: string, names: string[]) => {
      for (let i = 0; ; i++) if (pickByKey(`k${i}`, names, (n) => n) === name) return `k${i}`;
    };

    it('sends every client of a key to the worker the key hashes to, whatever the load', () => {
      const { client, message, worker } = setup();
      const [w1, p1] = worker('w1');
      const [, p2] = worker('w2');
      const key = keyFor('w1', ['w1', 'w2']);
      const clients = ['a', 'b', 'c', 'd'].map(client);
      for (const c of clients) c.routeKey = key;
      for (const c of clients) message(c, 'x');
      assert.deepEqual(p1.take(), ['a:message:x', 'b:message:x', 'c:message:x', 'd:message:x']);
      assert.deepEqual(p2.take(), []);
      assert.equal(w1.clients.size, 4);
    });

    it('moves a client whose key is set only between its events: the in-flight one finishes first', () => {
      const { router, client, message, worker } = setup();
      const [w1, p1] = worker('w1');
      const [w2, p2] = worker('w2');
      const a = client('a');
      message(a, '1'); // unkeyed: least-loaded w1
      message(a, '2');
      assert.deepEqual(p1.take(), ['a:message:1']);
      a.routeKey = keyFor('w2', ['w1', 'w2']);
      assert.deepEqual(p2.take(), [], 'nothing overtakes the event in flight on w1');
      router.done(w2, a); // a done from the wrong worker changes nothing
      assert.deepEqual(p2.take(), []);
      router.done(w1, a);
      assert.deepEqual(p2.take(), ['a:message:2']);
      assert.equal(a.worker, w2);
      assert.equal(w1.clients.has(a), false, 'the old worker lets go of it');
      a.routeKey = null;
      router.done(w2, a);
      message(a, '3');
      assert.deepEqual(p2.take(), ['a:message:3'], 'back to per-client: it stays where it is');
    });

    it('moves only the keys of a worker that drains, after their in-flight events, and only to the others', () => {
      const { router, client, message, worker } = setup();
      const names = ['w1', 'w2', 'w3'];
      const peers = names.map((n) => worker(n));
      const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
      const clients = keys.map((k) => Object.assign(client(k), { routeKey: k }));
      for (const c of clients) message(c, 'x');
      const home = new Map(clients.map((c) => [c.id, c.worker!]));
      assert.equal(new Set(home.values()).size, 3, 'keys spread over the three workers');
      const [w2] = peers[1]!;
      for (const [w] of peers) for (const c of [...w.clients]) if (w !== w2) router.done(w, c);
      router.drain(w2);
      assert.deepEqual(
        peers[1]![1].take().filter((e) => e === 'drained'),
        [],
        'w2 still has events in flight',
      );
      for (const c of [...w2.clients]) {
        message(c, 'y');
        router.done(w2, c);
      }
      assert.deepEqual(
        peers[1]![1].take().filter((e) => e === 'drained'),
        ['drained'],
      );
      for (const c of clients) {
        message(c, 'z');
        if (home.get(c.id) !== w2) assert.equal(c.worker, home.get(c.id), `${c.id} stays`);
        else assert.notEqual(c.worker, w2, `${c.id} moved off the draining worker`);
      }
    });

    it('moves a key to a joining worker on its next event, and back when that worker leaves', () => {
      const { router, client, message, worker } = setup();
      const [w1] = worker('w1');
      const key = keyFor('w2', ['w1', 'w2']);
      const a = Object.assign(client('a'), { routeKey: key });
      message(a, '1');
      assert.equal(a.worker, w1, 'the only worker');
      const [w2, p2] = worker('w2');
      router.done(w1, a);
      message(a, '2');
      assert.equal(a.worker, w2);
      assert.deepEqual(p2.take(), ['a:message:2']);
      router.removeWorker(w2);
      assert.equal(router.lostEvents, 1, 'its event in flight was lost with w2');
      message(a, '3');
      assert.equal(a.worker, w1, 'its next event goes back to w1');
    });
  });

  describe('with a window of events in flight', () => {
    const keyFor = (name: string, names: string[]) => {
      for (let i = 0; ; i++) if (pickByKey(`k${i}`, names, (n) => n) === name) return `k${i}`;
    };
    const aheadOf = (peer: Peer) => peer.sent.map((m) => ('ahead' in m ? m.ahead : undefined));

    it('sends up to the window before the first is done, saying how many are ahead of each', () => {
      const { router, client, message, worker } = setup(100, 3);
      const [w, peer] = worker('w1');
      const a = client('a');
      for (let i = 1; i <= 5; i++) message(a, String(i));
      assert.deepEqual(aheadOf(peer), [undefined, 1, 2]);
      assert.deepEqual(peer.take(), ['a:message:1', 'a:message:2', 'a:message:3']);
      assert.equal(a.eventsInFlight, 3);
      router.done(w, a);
      assert.deepEqual(aheadOf(peer), [2]);
      assert.deepEqual(peer.take(), ['a:message:4']);
      router.done(w, a);
      router.done(w, a);
      assert.deepEqual(peer.take(), ['a:message:5']);
      router.done(w, a);
      router.done(w, a);
      assert.equal(a.eventsInFlight, 0);
      message(a, '6');
      assert.deepEqual(aheadOf(peer), [undefined], 'nothing ahead: the event carries what the gateway knows');
    });

    it('moves a client off a draining worker only once all its events there are done', () => {
      const { router, client, message, worker } = setup(100, 4);
      const [w1, p1] = worker('w1');
      const a = client('a');
      message(a, '1');
      message(a, '2');
      const [, p2] = worker('w2');
      router.drain(w1);
      message(a, '3');
      assert.deepEqual(p1.take(), ['a:message:1', 'a:message:2']);
      assert.deepEqual(p2.take(), [], 'the new worker must not overtake the old one');
      router.done(w1, a);
      assert.deepEqual(p2.take(), []);
      router.done(w1, a);
      assert.deepEqual(p1.take(), ['drained']);
      assert.deepEqual(p2.take(), ['a:message:3']);
    });

    it('moves a keyed client to its new worker only with nothing in flight', () => {
      const { router, client, message, worker } = setup(100, 4);
      const [w1, p1] = worker('w1');
      const [, p2] = worker('w2');
      const a = Object.assign(client('a'), { routeKey: keyFor('w1', ['w1', 'w2']) });
      message(a, '1');
      a.routeKey = keyFor('w2', ['w1', 'w2']);
      message(a, '2');
      assert.deepEqual(p1.take(), ['a:message:1']);
      assert.deepEqual(p2.take(), []);
      router.done(w1, a);
      assert.deepEqual(p2.take(), ['a:message:2']);
    });

    it('counts every in-flight event of a lost worker as lost', () => {
      const { router, client, message, worker } = setup(100, 4);
      const [w1] = worker('w1');
      const a = client('a');
      const b = client('b');
      for (let i = 0; i < 6; i++) message(a, String(i));
      message(b, 'x');
      const [, p2] = worker('w2');
      router.removeWorker(w1);
      assert.equal(router.lostEvents, 5, "a's 4 and b's 1");
      assert.deepEqual(
        p2.take().filter((e) => e.startsWith('a:')),
        ['a:message:4', 'a:message:5'],
      );
    });
  });
});
