// The embedded history over a register link: a real RegisterServer on loopback, reached with a real Link, gives
// the same answers as the store it holds; it refuses limits out of range as a bad frame; and every way of not
// reaching it fails with SB_ERR_HISTORY_UNAVAILABLE.
import assert from 'node:assert/strict';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegisterHistory } from '../../history/register-history.ts';
import { RegisterServer } from '../../register/register-server.ts';
import { formatHostPort, type HostPort } from '../../shared/address.ts';
import { Cmd } from '../../shared/commands.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { Link, type LinkOptions } from '../../shared/link.ts';
import { createLinkListener } from '../../shared/link-server.ts';
import { listenOn } from '../../shared/listen.ts';
import { createLogger } from '../../shared/logger.ts';

const log = createLogger({}, 'silent');
const options: LinkOptions = { secret: 'unit-secret', log };

/** A link to `address` whose messages and loss go to `history`, as the roles wire it. */
async function linkTo(address: HostPort, history: RegisterHistory): Promise<Link> {
  return Link.connect(address, options, 'client', 'unit test', (link) => {
    link.onMessage = (msg) => {
      if (!history.receive(msg)) throw new Error(`unexpected ${msg.cmd}`);
    };
    link.onClose = () => history.detach();
    history.attach(link);
  });
}

describe('RegisterHistory', () => {
  let register: RegisterServer;
  let address: HostPort;
  let history: RegisterHistory;
  let link: Link;

  before(async () => {
    register = new RegisterServer({ listen: '127.0.0.1:0', secret: 'unit-secret', log });
    address = await register.start();
    history = new RegisterHistory(formatHostPort(address), 3, 60, 1000);
    link = await linkTo(address, history);
    assert.equal(link.peerAnswersHistory, true);
  });
  after(async () => {
    await history?.close();
    link?.close();
    await register?.stop();
  });

  it('keeps text and bytes with growing offsets, and replays after a position', async () => {
    const start = await history.read('uid:a', null);
    assert.deepEqual([start.recovered, start.position.offset], [true, 0]);
    const p1 = await history.append('uid:a', 'one');
    const p2 = await history.append('uid:a', new Uint8Array([0, 255, 13, 10]));
    assert.deepEqual([p1.offset, p2.offset], [1, 2]);
    assert.equal(p1.epoch, start.position.epoch);
    const r = await history.read('uid:a', start.position);
    assert.equal(r.recovered, true);
    assert.deepEqual(
      r.messages.map((m) => [m.offset, typeof m.data === 'string' ? m.data : [...m.data]]),
      [
        [1, 'one'],
        [2, [0, 255, 13, 10]],
      ],
    );
    assert.deepEqual((await history.read('uid:a', p2)).messages, []);
    assert.equal(register.history.streamCount, 1);
  });

  it('trims to the sender\'s size and says "not recovered" past it or for another epoch', async () => {
    const first = await history.append('group:t', '1');
    for (const text of ['2', '3', '4']) await history.append('group:t', text);
    assert.equal((await history.read('group:t', first)).recovered, true);
    const trimmed = await history.read('group:t', { epoch: first.epoch, offset: 0 });
    assert.deepEqual([trimmed.recovered, trimmed.messages, trimmed.position.offset], [false, [], 4]);
    assert.equal((await history.read('group:t', { epoch: 'other', offset: 1 })).recovered, false);
    assert.equal((await history.read('group:t', { epoch: first.epoch, offset: 9 })).recovered, false);
  });

  it('answers many requests in flight, each by its own id', async () => {
    const positions = await Promise.all(Array.from({ length: 200 }, (_, i) => history.append('uid:many', `m${i}`)));
    assert.deepEqual(
      positions.map((p) => p.offset),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });

  it('is refused as a bad frame for a size out of range, and fails what waits on that link', async () => {
    const other = new RegisterHistory(formatHostPort(address), 3, 60, 1000);
    const bad = await linkTo(address, other);
    const closed = new Promise<void>((resolve) => bad.socketClosed.then(resolve));
    const waiting = other.append('uid:ok', 'x').catch((err: unknown) => err);
    bad.send({ cmd: Cmd.HistoryAppend, id: 999, stream: 'uid:b', data: 'x', size: 0, ttl: 60 });
    await closed;
    const err = await waiting;
    // The good request was answered before the bad one arrived, or failed with the link: never left waiting.
    if (err instanceof Error) assert.equal((err as { code?: string }).code, ErrorCode.HistoryUnavailable);
    await assert.rejects(other.append('uid:ok', 'y'), { code: ErrorCode.HistoryUnavailable });
    await other.close();
  });

  it('fails with SB_ERR_HISTORY_UNAVAILABLE when never linked, within its timeout', async () => {
    const lonely = new RegisterHistory('127.0.0.1:1', 3, 60, 150);
    const started = Date.now();
    await assert.rejects(lonely.append('uid:x', 'x'), { code: ErrorCode.HistoryUnavailable });
    assert.ok(Date.now() - started >= 100);
    await lonely.close();
    await assert.rejects(lonely.read('uid:x', null), { code: ErrorCode.HistoryUnavailable });
  });

  it('fails with SB_ERR_HISTORY_UNAVAILABLE over a link to a server that keeps no history', async () => {
    const server: Server = createLinkListener(
      options,
      'register',
      ['client'],
      () => {},
      () => {},
    );
    const bound = await listenOn(server, { host: '127.0.0.1', port: 0 });
    const old = new RegisterHistory(formatHostPort(bound), 3, 60, 1000);
    const oldLink = await linkTo(bound, old);
    assert.equal(oldLink.peerAnswersHistory, false);
    await assert.rejects(old.append('uid:x', 'x'), { code: ErrorCode.HistoryUnavailable });
    oldLink.close();
    await old.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails at once while the register is down', async () => {
    const r = new RegisterServer({ listen: '127.0.0.1:0', secret: 'unit-secret', log });
    const where = await r.start();
    const h = new RegisterHistory(formatHostPort(where), 3, 60, 5000);
    await linkTo(where, h);
    const before = await h.append('uid:r', 'kept');
    await r.stop();
    const started = Date.now();
    await assert.rejects(h.append('uid:r', 'lost?'), { code: ErrorCode.HistoryUnavailable });
    await assert.rejects(h.read('uid:r', before), { code: ErrorCode.HistoryUnavailable });
    assert.ok(Date.now() - started < 1000, 'at once, not after the timeout');
    await h.close();
  });
});
