import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WebSocket } from 'ws';
import { ClientRegistry, ClientState } from '../../gateway/client-registry.ts';
import { MembershipFeed } from '../../gateway/membership-feed.ts';
import { GatewayMembership } from '../../gateway-api/gateway-membership.ts';
import { Cmd, parseMessage, type Message } from '../../shared/commands.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import type { Link } from '../../shared/link.ts';

/** A subscriber's link: every frame is decoded, in order, after the link's beforeSend hook ran. */
class RecordingLink {
  beforeSend: (() => void) | null = null;
  readonly received: Message[] = [];
  private readonly decoder = new FrameDecoder((value) => this.received.push(parseMessage(value)), 1 << 24);

  send(message: Message): void {
    this.beforeSend?.();
    this.received.push(message);
  }

  sendFrame(frame: Buffer): void {
    this.beforeSend?.();
    this.decoder.write(frame);
  }

  flush(): void {}

  get updates(): number {
    return this.received.filter((m) => m.cmd === Cmd.MembershipUpdate).length;
  }
}

const client = (i: number) => new ClientState(`c${i}`, {} as WebSocket, '127.0.0.1');
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A subscriber's view, fed with what `link` received so far (from `from` on). */
function feedInto(membership: GatewayMembership, link: RecordingLink, from: number): number {
  for (let i = from; i < link.received.length; i++) membership.receive(link.received[i]!);
  return link.received.length;
}

const holds = (m: GatewayMembership, kind: 'uid' | 'group', name: string) =>
  m.narrow(
    kind === 'uid'
      ? { cmd: Cmd.SendToUids, uids: [name], data: 'x' }
      : { cmd: Cmd.SendToGroups, groups: [name], data: 'x', exclude: [] },
  ) !== null;

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('bind' as const), c: fc.nat(15), uid: fc.nat(10) }),
    fc.record({ op: fc.constant('unbind' as const), c: fc.nat(15) }),
    fc.record({ op: fc.constant('join' as const), c: fc.nat(15), group: fc.nat(6) }),
    fc.record({ op: fc.constant('leave' as const), c: fc.nat(15), group: fc.nat(6) }),
    fc.record({ op: fc.constant('close' as const), c: fc.nat(15) }),
    fc.record({ op: fc.constant('ungroup' as const), group: fc.nat(6) }),
    fc.record({ op: fc.constant('frame' as const) }),
    fc.record({ op: fc.constant('tick' as const) }),
  ),
  { maxLength: 200 },
);

describe('MembershipFeed', () => {
  it('never lets a subscriber miss a member: before any other frame and after every batch', async () => {
    await fc.assert(
      fc.asyncProperty(ops, fc.nat(80), fc.integer({ min: 0, max: 4 }), async (steps, subscribeAt, exactLimit) => {
        const registry = new ClientRegistry();
        const feed = new MembershipFeed(registry);
        const clients = new Map<number, ClientState>();
        const live = (c: number) => {
          let state = clients.get(c);
          if (!state) {
            state = client(c);
            clients.set(c, state);
            registry.add(state);
          }
          return state;
        };
        const link = new RecordingLink();
        const membership = new GatewayMembership(exactLimit);
        let read = 0;
        const check = () => {
          read = feedInto(membership, link, read);
          for (const uid of registry.uids.keys()) assert.ok(holds(membership, 'uid', uid), `uid ${uid} missed`);
          for (const group of registry.groups.keys())
            assert.ok(holds(membership, 'group', group), `group ${group} missed`);
        };
        for (let i = 0; i < steps.length; i++) {
          if (i === subscribeAt) feed.subscribe(link as unknown as Link);
          const subscribed = feed.isSubscribed(link as unknown as Link);
          const step = steps[i]!;
          switch (step.op) {
            case 'bind':
              registry.bindUid(live(step.c), `u${step.uid}`);
              break;
            case 'unbind': {
              const state = live(step.c);
              if (state.uid !== null) registry.unbindUid(state, state.uid);
              break;
            }
            case 'join':
              registry.joinGroup(live(step.c), `g${step.group}`);
              break;
            case 'leave':
              registry.leaveGroup(live(step.c), `g${step.group}`);
              break;
            case 'close': {
              const state = clients.get(step.c);
              if (state) registry.remove(state);
              clients.delete(step.c);
              break;
            }
            case 'ungroup':
              registry.ungroup(`g${step.group}`);
              break;
            case 'frame':
              // Anything else the gateway sends this subscriber (an event, an answer) comes after the changes.
              if (subscribed) {
                link.send({ cmd: Cmd.Ping });
                check();
              }
              break;
            case 'tick':
              await nextTick();
              if (subscribed) check();
              break;
          }
        }
        if (!feed.isSubscribed(link as unknown as Link)) return;
        await nextTick();
        check();
        if (exactLimit === 4) return;
        // Exact sets (few names): the subscriber knows exactly what the gateway holds.
        const exact = new GatewayMembership(1000);
        for (const msg of link.received) exact.receive(msg);
        for (const uid of registry.uids.keys()) assert.ok(exact.uids.has(uid));
        assert.equal(exact.uids.size, registry.uids.size);
        assert.equal(exact.groups.size, registry.groups.size);
      }),
      { numRuns: 150 },
    );
  });

  it('sends a login storm as one update per subscriber, and MembershipApplied after it', async () => {
    const registry = new ClientRegistry();
    const feed = new MembershipFeed(registry);
    const links = [new RecordingLink(), new RecordingLink(), new RecordingLink()];
    for (const link of links) feed.subscribe(link as unknown as Link);
    const before = links.map((l) => l.received.length);
    for (let i = 0; i < 5000; i++) {
      const state = client(i);
      registry.add(state);
      registry.bindUid(state, `user-${i}`);
      registry.joinGroup(state, 'lobby');
      feed.applied(links[0] as unknown as Link);
    }
    await nextTick();
    for (const [i, link] of links.entries()) {
      const got = link.received.slice(before[i]);
      assert.equal(got.filter((m) => m.cmd === Cmd.MembershipUpdate).length, 1, `link ${i}: one update`);
      const update = got[0]!;
      assert.equal(update.cmd, Cmd.MembershipUpdate);
      if (update.cmd !== Cmd.MembershipUpdate) return;
      assert.equal(update.uids.length, 5000);
      assert.deepEqual(update.groups, ['lobby']);
      assert.equal(got.filter((m) => m.cmd === Cmd.MembershipApplied).length, i === 0 ? 5000 : 0);
    }
    assert.equal(feed.updateFrames, 3);
  });

  it('leaves out a name that came and went within one batch', async () => {
    const registry = new ClientRegistry();
    const feed = new MembershipFeed(registry);
    const link = new RecordingLink();
    feed.subscribe(link as unknown as Link);
    const state = client(1);
    registry.add(state);
    registry.bindUid(state, 'a');
    registry.remove(state);
    await nextTick();
    assert.equal(link.updates, 0);
  });
});
