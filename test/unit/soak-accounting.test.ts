// The soak's accounting, fed synthetic runs: it must catch every duplicate, reordering and unexplained loss, and
// excuse exactly the losses the docs allow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accounting, AWAY_AFTER, AWAY_BEFORE } from '../../soak/accounting.ts';

const W1 = 1001;
const W2 = 1002;

/** Three clients, each logged in at t=0 on its first connection. */
function accounting(maxEventsInFlight = 16): Accounting {
  const a = new Accounting(3, maxEventsInFlight);
  for (let c = 0; c < 3; c++) {
    a.opened(c, 0);
    a.bound(c, 0);
  }
  return a;
}

/** Client 0 sends `count` messages to client 1, 50 ms apart from `from`; returns their sequence numbers. */
function send(a: Accounting, count: number, from = 1000, to = 1): number[] {
  return Array.from({ length: count }, (_, i) => a.sent(0, to, from + 50 * i));
}

describe('soak accounting', () => {
  it('counts a clean run as sent = delivered, nothing else', () => {
    const a = accounting();
    for (const seq of send(a, 100)) a.delivered(1, 0, seq, 1, W1, 1000 + 50 * seq + 3);
    const s = a.summarize();
    assert.equal(s.sent, 100);
    assert.equal(s.delivered, 100);
    assert.equal(s.lost, 0);
    assert.equal(s.duplicated, 0);
    assert.equal(s.reordered, 0);
    assert.equal(s.misdelivered, 0);
    assert.equal(s.latency.p50, 3);
  });

  it('catches a message delivered twice', () => {
    const a = accounting();
    const seqs = send(a, 10);
    for (const seq of seqs) a.delivered(1, 0, seq, 1, W1, 2000 + seq);
    a.delivered(1, 0, 4, 1, W1, 3000);
    const s = a.summarize();
    assert.equal(s.duplicated, 1);
    assert.equal(s.delivered, 10);
  });

  it('catches messages of one sender arriving out of order', () => {
    const a = accounting();
    send(a, 5);
    for (const seq of [0, 1, 3, 2, 4]) a.delivered(1, 0, seq, 1, W1, 2000 + seq);
    assert.equal(a.summarize().reordered, 1);
  });

  it('does not take messages of one sender to two receivers as reordered', () => {
    const a = accounting();
    const toOne = a.sent(0, 1, 1000);
    const toTwo = a.sent(0, 2, 1050);
    a.delivered(2, 0, toTwo, 2, W1, 1060);
    a.delivered(1, 0, toOne, 1, W2, 1070);
    assert.equal(a.summarize().reordered, 0);
  });

  it('catches deliveries that match nothing sent, or reach the wrong uid', () => {
    const a = accounting();
    const seq = a.sent(0, 1, 1000);
    a.delivered(2, 0, seq, 1, W1, 1010); // meant for 1, reached 2
    a.delivered(1, 0, 99, 1, W1, 1010); // never sent
    a.delivered(1, 7, 0, 1, W1, 1010); // no such sender
    a.unreadable();
    assert.equal(a.summarize().misdelivered, 4);
  });

  it('finds no documented cause for a message lost while everything was up', () => {
    const a = accounting();
    const seqs = send(a, 10);
    for (const seq of seqs) if (seq !== 5) a.delivered(1, 0, seq, 1, W1, 1000 + 50 * seq + 2);
    const s = a.summarize();
    assert.equal(s.lost, 1);
    assert.equal(s.lostUndocumented, 1);
    assert.deepEqual(
      s.unexplained.map((u) => [u.from, u.seq, u.to]),
      [[0, 5, 1]],
    );
  });

  it("excuses what was in flight on the sender's connection when its gateway was killed, and only that", () => {
    const a = accounting();
    const seqs = send(a, 10); // 1000 … 1450
    for (const seq of seqs.slice(0, 6)) a.delivered(1, 0, seq, 1, W1, 1000 + 50 * seq + 2);
    a.closed(0, 1460, 1006); // 6 … 9 were still on the way
    const s = a.summarize();
    assert.equal(s.lostDocumented['sender-gateway-killed'], 4);
    assert.equal(s.lostUndocumented, 0);
  });

  it("does not excuse a hole in the sender's connection before something that arrived", () => {
    const a = accounting();
    const seqs = send(a, 10);
    for (const seq of seqs) if (seq !== 3) a.delivered(1, 0, seq, 1, W1, 1000 + 50 * seq + 2);
    a.closed(0, 1460, 1006);
    assert.equal(a.summarize().lostUndocumented, 1);
  });

  it('names a gateway that stopped (1001) and the pending-events limit (1013) as such', () => {
    for (const [code, cause] of [
      [1001, 'sender-gateway-stopped'],
      [1013, 'sender-over-pending-limit'],
    ] as const) {
      const a = accounting();
      send(a, 3);
      a.closed(0, 1200, code);
      assert.equal(a.summarize().lostDocumented[cause], 3);
    }
  });

  it('does not excuse losses on a connection closed with a code no doc explains', () => {
    const a = accounting();
    send(a, 3);
    a.closed(0, 1200, 1011);
    assert.equal(a.summarize().lostUndocumented, 3);
  });

  it('excuses messages sent to a uid while its client was away, up to its login and a moment after', () => {
    const a = accounting();
    a.closed(1, 5000, 1006); // receiver's gateway killed
    a.opened(1, 5400);
    a.bound(1, 5600);
    const before = a.sent(0, 1, 4500); // lost: within AWAY_BEFORE of the close
    const during = a.sent(0, 1, 5200);
    const justAfter = a.sent(0, 1, 5600 + AWAY_AFTER - 100);
    const wellAfter = a.sent(0, 1, 5600 + AWAY_AFTER + 1000);
    const next = a.sent(0, 2, 5600 + AWAY_AFTER + 1050);
    a.delivered(2, 0, next, 2, W1, 5600 + AWAY_AFTER + 1060);
    void [before, during, justAfter, wellAfter];
    const s = a.summarize();
    assert.ok(AWAY_BEFORE >= 500);
    assert.equal(s.lostDocumented['receiver-gateway-killed'], 3);
    assert.equal(s.lostUndocumented, 1, 'the message sent well after the receiver was back is not excused');
  });

  it('excuses at most --max-events-in-flight messages per client with a killed worker, and only on that worker', () => {
    const a = accounting(2);
    const seqs = send(a, 8); // 1000 … 1350
    a.delivered(1, 0, seqs[0]!, 1, W1, 1002);
    a.delivered(1, 0, seqs[1]!, 1, W1, 1052);
    a.workerKilled(W1, 1120); // 2 and 3 were at W1
    // 2, 3 lost; 4 … 7 handled by W2 after the gateway moved the client
    for (const seq of seqs.slice(4)) a.delivered(1, 0, seq, 1, W2, 1300 + seq);
    let s = a.summarize();
    assert.equal(s.lostDocumented['worker-killed'], 2);
    assert.equal(s.lostUndocumented, 0);

    const b = accounting(1);
    const more = send(b, 6);
    b.delivered(1, 0, more[0]!, 1, W1, 1002);
    b.workerKilled(W1, 1070);
    for (const seq of more.slice(3)) b.delivered(1, 0, seq, 1, W2, 1300 + seq);
    s = b.summarize();
    assert.equal(s.lostDocumented['worker-killed'], 1);
    assert.equal(s.lostUndocumented, 1, 'one more than --max-events-in-flight is not excused');

    const c = accounting();
    const other = send(c, 4);
    c.delivered(1, 0, other[0]!, 1, W2, 1002); // the sender was on W2
    c.workerKilled(W1, 1070);
    for (const seq of other.slice(2)) c.delivered(1, 0, seq, 1, W2, 1300 + seq);
    assert.equal(c.summarize().lostUndocumented, 1, 'a worker the sender was not on takes none of its messages');
  });
});
