// No duplicate and no reordering gets through a replay: a recovering client comes back with a position in the
// middle of its stream while three senders keep sending kept messages to its uid, before, during and after the
// replay. With Redis the senders write the history before they send, so messages that reach the gateway while it
// reads the history are both in what it reads and live: the gateway must drop the ones it replayed. The client
// must see every offset after its position exactly once, in order, and then the replay's end. (The embedded history
// keeps each message as it reaches the gateway, after the replay's read, so there it checks order and gaps.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../index.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { RecoveringClient, type Received } from '../helpers/recovering-client.ts';
import { RedisServer } from '../helpers/redis.ts';

const quiet = createLogger({}, 'silent');
const SENDERS = 3;
const PER_SENDER = 60;
const BEFORE = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isKept = (m: Received) => m.kind === 'kept';

for (const store of ['memory', 'redis'] as const) {
  describe(`a replay under live kept sends lets no duplicate through, ${store} history`, () => {
    let redis: RedisServer | null = null;
    let cluster: Cluster;
    const senders: GatewayClient[] = [];
    const open: RecoveringClient[] = [];

    before(async () => {
      if (store === 'redis') redis = await RedisServer.start();
      const history = ['--history', redis?.url ?? 'memory', '--history-size', '1000'];
      cluster = new Cluster({
        host: store === 'memory' ? '127.0.0.185' : '127.0.0.186',
        gateways: 2,
        workers: 1,
        gatewayArgs: history,
        workerArgs: history,
      });
      await cluster.start();
      for (let i = 0; i < SENDERS; i++) {
        const sender = new GatewayClient({
          register: cluster.registerAddress,
          secret: 'test-secret',
          log: quiet,
          history: redis?.url ?? 'memory',
          historySize: 1000,
        });
        senders.push(sender);
        await sender.ready();
      }
    });
    after(async () => {
      for (const c of open) c.close();
      for (const s of senders) await s.close();
      await killAll();
      await redis?.stop();
    });

    it('gives every offset after the position exactly once and in order', async () => {
      const uid = `busy-${store}`;
      const first = await RecoveringClient.connect(cluster.wsUrl(0));
      open.push(first);
      await first.call('bindUid', '$self', uid);
      const start = (await first.next((m) => m.kind === 'event' && m.t === 'position')) as { offset: number };
      for (let i = 0; i < BEFORE; i++) await senders[0]!.sendToUid(uid, `before-${i}`, { keep: true });
      const firstSeen: Received[] = [];
      for (let i = 0; i < BEFORE; i++) firstSeen.push(await first.next(isKept));
      const mid = firstSeen[BEFORE / 2 - 1] as Received & { kind: 'kept' };
      first.close();

      // Three senders, each with several sends in flight, for longer than the reconnect and replay take.
      const sending = senders.map(async (sender, s) => {
        const inFlight: Promise<void>[] = [];
        for (let i = 0; i < PER_SENDER; i++) {
          inFlight.push(sender.sendToUid(uid, `s${s}-${i}`, { keep: true }));
          if (i % 3 === 2) await sleep(2);
        }
        await Promise.all(inFlight);
      });
      await sleep(10);
      const again = new RecoveringClient(cluster.wsUrl(1), {
        [`uid:${uid}`]: [mid.epoch, mid.offset],
      });
      open.push(again);
      await again.opened;
      const hello = (await again.next((m) => m.kind === 'data')) as { data: { clientId: string } };
      again.clientId = hello.data.clientId;
      await again.call('bindUid', '$self', uid);
      await Promise.all(sending);

      const top = start.offset + BEFORE + SENDERS * PER_SENDER;
      const offsets: number[] = [];
      const texts = new Set<unknown>();
      while (offsets.at(-1) !== top) {
        const m = (await again.next(isKept, 15_000)) as Received & { kind: 'kept' };
        assert.equal(m.epoch, mid.epoch);
        offsets.push(m.offset);
        texts.add(m.data);
        if (offsets.length > top - mid.offset) break;
      }
      const expected = Array.from({ length: top - mid.offset }, (_, i) => mid.offset + 1 + i);
      assert.deepEqual(offsets, expected);
      // A duplicate of the last one, or a late straggler, would show up now.
      await assert.rejects(again.next(isKept, 500));
      assert.equal(texts.size, expected.length, 'each message once');
      assert.equal(again.inbox.items.filter((m) => m.kind === 'event' && m.t === 'lost').length, 0);
      assert.ok(
        again.inbox.items.some((m) => m.kind === 'event' && m.t === 'recovered'),
        'the replay ended with recovered',
      );
    });
  });
}
