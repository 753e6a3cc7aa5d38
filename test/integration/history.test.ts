// Kept messages and recovery by position, with real processes, on the embedded history (held by the register)
// and on a real Redis: a client that was away, or whose gateway was killed, is given every kept message it
// missed once and in order, then the live ones, on the gateway it comes back to; one whose position the history
// no longer covers (trimmed, or the store restarted) is told so; a store that is down fails kept sends loudly
// and leaves ordinary sends alone; clients that do not speak the recovery subprotocol see the very bytes they
// saw before kept messages existed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../index.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { RecoveringClient, type Received } from '../helpers/recovering-client.ts';
import { RedisServer } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const quiet = createLogger({}, 'silent');
const SIZE = 5;
const isKept = (m: Received) => m.kind === 'kept';
const isEvent = (t: string) => (m: Received) => m.kind === 'event' && m.t === t;

for (const store of ['memory', 'redis'] as const) {
  describe(`kept messages, ${store} history`, () => {
    let redis: RedisServer | null = null;
    let cluster: Cluster;
    let sender: GatewayClient;
    const open: { close(): void }[] = [];

    before(async () => {
      if (store === 'redis') redis = await RedisServer.start();
      const history = ['--history', redis?.url ?? 'memory', '--history-size', String(SIZE)];
      cluster = new Cluster({
        host: store === 'memory' ? '127.0.0.181' : '127.0.0.182',
        gateways: 2,
        workers: 1,
        gatewayArgs: history,
        workerArgs: history,
      });
      await cluster.start();
      sender = new GatewayClient({
        register: cluster.registerAddress,
        secret: 'test-secret',
        log: quiet,
        history: redis?.url ?? 'memory',
        historySize: SIZE,
      });
      await sender.ready();
    });
    after(async () => {
      for (const c of open) c.close();
      await sender?.close();
      await killAll();
      await redis?.stop();
    });

    const recovering = async (gateway: number, positions?: Record<string, [string, number]>) => {
      const c = await RecoveringClient.connect(cluster.wsUrl(gateway), positions);
      open.push(c);
      return c;
    };

    /**
     * A recovering client on gateway A is bound to `uid` and gets the kept `first`; then A is SIGKILLed and
     * `missed` are kept meanwhile. Returns the stream's position at the bind and the message it got.
     */
    const missWhileGatewayAIsKilled = async (uid: string, first: string, missed: string[]) => {
      const client = await recovering(0);
      await client.call('bindUid', '$self', uid);
      const start = (await client.next(isEvent('position'))) as { epoch: string; offset: number };
      await sender.sendToUid(uid, first, { keep: true });
      const got = (await client.next(isKept)) as Received & { kind: 'kept' };
      await cluster.gateways[0]!.kill('SIGKILL');
      for (const text of missed) await sender.sendToUid(uid, text, { keep: true });
      return { start, got };
    };

    it('gives raw clients the same bytes for a kept send as for an ordinary one', async () => {
      const raw = await TestClient.connect(cluster.wsUrl(0));
      open.push(raw.ws);
      await raw.call('bindUid', '$self', 'raw-1');
      await raw.call('joinGroup', '$self', 'raw-room');
      sender.sendToUid('raw-1', 'plain');
      await sender.sendToUid('raw-1', 'kept', { keep: true });
      await sender.sendToGroup('raw-room', Buffer.from([0, 1, 2]), null, { keep: true });
      assert.equal((await raw.next((m) => m === 'plain')) as string, 'plain');
      assert.equal((await raw.next((m) => m === 'kept')) as string, 'kept');
      const bytes = (await raw.next((m) => Buffer.isBuffer(m))) as Buffer;
      assert.deepEqual([...bytes], [0, 1, 2]);
    });

    it('replays what was kept while away, once and in order, then goes live with no gap', async () => {
      const stream = 'uid:alice';
      const first = await recovering(0);
      await first.call('bindUid', '$self', 'alice');
      const start = await first.next(isEvent('position'));
      await sender.sendToUid('alice', 'm1', { keep: true });
      const m1 = (await first.next(isKept)) as Received & { kind: 'kept' };
      assert.deepEqual(
        [m1.stream, m1.offset, m1.data, m1.epoch],
        [stream, (start as { offset: number }).offset + 1, 'm1', (start as { epoch: string }).epoch],
      );
      first.close();

      for (const text of ['m2', 'm3', 'm4']) await sender.sendToUid('alice', text, { keep: true });
      // Back on the other gateway.
      const again = await recovering(1, { [stream]: [m1.epoch, m1.offset] });
      const bound = again.call('bindUid', '$self', 'alice');
      // Sent while the replay runs: it must come after m4, once.
      const live = sender.sendToUid('alice', 'm5', { keep: true });
      await Promise.all([bound, live]);
      const got: unknown[] = [];
      for (let i = 0; i < 4; i++) got.push(((await again.next(isKept)) as { data: unknown }).data);
      assert.deepEqual(got, ['m2', 'm3', 'm4', 'm5']);
      await again.next(isEvent('recovered'));
      await sender.sendToUid('alice', 'm6', { keep: true });
      const m6 = (await again.next(isKept)) as Received & { kind: 'kept' };
      assert.deepEqual([m6.data, m6.offset], ['m6', m1.offset + 5]);
      await assert.rejects(again.next(isKept, 300));
    });

    it('says "not recovered" when the history was trimmed past the position', async () => {
      const stream = 'group:trimmed';
      const first = await recovering(0);
      await first.call('joinGroup', '$self', 'trimmed');
      await first.next(isEvent('position'));
      await sender.sendToGroup('trimmed', 'g1', null, { keep: true });
      const g1 = (await first.next(isKept)) as Received & { kind: 'kept' };
      first.close();
      for (let i = 2; i <= SIZE + 3; i++) await sender.sendToGroup('trimmed', `g${i}`, null, { keep: true });
      const again = await recovering(0, { [stream]: [g1.epoch, g1.offset] });
      await again.call('joinGroup', '$self', 'trimmed');
      const lost = (await again.next(isEvent('lost'))) as { offset: number };
      assert.equal(lost.offset, SIZE + 3);
      await assert.rejects(again.next(isKept, 300));
    });

    it('refuses options that are not a boolean keep with SB_ERR_INVALID_ARGUMENT', () => {
      assert.throws(() => sender.sendToUid('x', 'y', { keep: 'yes' as unknown as boolean }), {
        code: ErrorCode.InvalidArgument,
      });
    });

    it('replays on gateway A, restarted, what was kept while it was killed', async () => {
      const { start, got: d1 } = await missWhileGatewayAIsKilled('dave', 'd1', ['d2', 'd3', 'd4']);
      await cluster.startGateway(0).ready();
      await cluster.registerKnows();
      for (const worker of cluster.workers) await cluster.workerReady(worker!);
      const again = await recovering(0, { 'uid:dave': [d1.epoch, d1.offset] });
      await again.call('bindUid', '$self', 'dave');
      const got: Received[] = [];
      for (let i = 0; i < 3; i++) got.push(await again.next(isKept));
      assert.deepEqual(
        got.map((m) => m.kind === 'kept' && [m.data, m.epoch, m.offset]),
        [
          ['d2', start.epoch, start.offset + 2],
          ['d3', start.epoch, start.offset + 3],
          ['d4', start.epoch, start.offset + 4],
        ],
      );
      await again.next(isEvent('recovered'));
      await sender.sendToUid('dave', 'd5', { keep: true });
      const d5 = (await again.next(isKept)) as Received & { kind: 'kept' };
      assert.deepEqual([d5.data, d5.offset], ['d5', start.offset + 5]);
      await assert.rejects(again.next(isKept, 300));
    });

    if (store === 'redis') {
      it('fails kept sends loudly while Redis is down, keeps ordinary sends working, and tells a restart apart', async () => {
        const raw = await TestClient.connect(cluster.wsUrl(0));
        open.push(raw.ws);
        await raw.call('bindUid', '$self', 'outage');
        const before = await recovering(1);
        await before.call('bindUid', '$self', 'bob');
        const start = (await before.next(isEvent('position'))) as { epoch: string; offset: number };
        before.close();
        await redis!.stop();
        await assert.rejects(sender.sendToUid('outage', 'kept?', { keep: true }), {
          code: ErrorCode.HistoryUnavailable,
        });
        sender.sendToUid('outage', 'ordinary');
        assert.equal((await raw.next((m) => m === 'ordinary' || m === 'kept?')) as string, 'ordinary');
        await redis!.restart();
        const after = await recovering(0, { 'uid:bob': [start.epoch, start.offset] });
        await after.call('bindUid', '$self', 'bob');
        await after.next(isEvent('lost'));
      });
    }

    if (store === 'memory') {
      it('fails kept sends loudly while the register is down, keeps ordinary sends working, and tells a restart apart', async () => {
        const raw = await TestClient.connect(cluster.wsUrl(0));
        open.push(raw.ws);
        await raw.call('bindUid', '$self', 'outage');
        const before = await recovering(1);
        await before.call('bindUid', '$self', 'bob');
        const start = (await before.next(isEvent('position'))) as { epoch: string; offset: number };
        await sender.sendToUid('bob', 'b1', { keep: true });
        const b1 = (await before.next(isKept)) as Received & { kind: 'kept' };
        assert.equal(b1.epoch, start.epoch);
        before.close();
        await cluster.register.kill('SIGKILL');
        await assert.rejects(sender.sendToUid('outage', 'kept?', { keep: true }), {
          code: ErrorCode.HistoryUnavailable,
        });
        await assert.rejects(sender.sendToGroup('outage-room', 'kept?', null, { keep: true }), {
          code: ErrorCode.HistoryUnavailable,
        });
        sender.sendToUid('outage', 'ordinary');
        assert.equal((await raw.next((m) => m === 'ordinary' || m === 'kept?')) as string, 'ordinary');
        // While it is down a recovering client is told "not recovered" (the history cannot be read).
        const during = await recovering(0, { 'uid:bob': [b1.epoch, b1.offset] });
        await during.call('bindUid', '$self', 'bob');
        const unread = (await during.next(isEvent('lost'))) as { epoch: string | null };
        assert.equal(unread.epoch, null);
        during.close();

        await cluster.startRegister().ready();
        await cluster.registerKnows();
        // A restarted register lost its history: a new epoch, and positions of before are not recovered.
        await until(
          'a kept send works again',
          () => sender.sendToUid('outage', 'kept again', { keep: true }).then(() => true),
          Boolean,
          {
            timeoutMs: 20_000,
            intervalMs: 200,
          },
        );
        assert.equal((await raw.next((m) => m === 'kept again')) as string, 'kept again');
        const after = await recovering(0, { 'uid:bob': [b1.epoch, b1.offset] });
        await after.call('bindUid', '$self', 'bob');
        const lost = (await after.next(isEvent('lost'))) as { epoch: string | null; offset: number };
        assert.ok(lost.epoch !== null && lost.epoch !== b1.epoch, `a new epoch, got ${lost.epoch}`);
        await assert.rejects(after.next(isKept, 300));
      });
    }

    it('replays on gateway B what was kept while gateway A, where the client was, is killed', async () => {
      const { start, got: k1 } = await missWhileGatewayAIsKilled('carol', 'k1', ['k2', 'k3', 'k4']);
      const again = await recovering(1, { 'uid:carol': [k1.epoch, k1.offset] });
      await again.call('bindUid', '$self', 'carol');
      const got: Received[] = [];
      for (let i = 0; i < 3; i++) got.push(await again.next(isKept));
      assert.deepEqual(
        got.map((m) => m.kind === 'kept' && [m.data, m.offset]),
        [
          ['k2', start.offset + 2],
          ['k3', start.offset + 3],
          ['k4', start.offset + 4],
        ],
      );
      await again.next(isEvent('recovered'));
      await assert.rejects(again.next(isKept, 300));
    });
  });
}
