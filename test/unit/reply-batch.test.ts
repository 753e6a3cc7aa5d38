import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyBatch } from '../../gateway/reply-batch.ts';
import { Cmd, cmdName, type Message } from '../../shared/commands.ts';

const sendTo = (client: string): Message => ({ cmd: Cmd.SendToClients, clients: [client], data: 'ok' });
const bind = (client: string): Message => ({ cmd: Cmd.BindUid, client, uid: client });
const close = (client: string): Message => ({ cmd: Cmd.CloseClient, client });
const done = (client: string): Message => ({ cmd: Cmd.EventDone, client });
const label = (msg: Message) =>
  `${cmdName(msg.cmd)} ${'client' in msg ? msg.client : (msg as { clients: string[] }).clients[0]}`;

function run(pending: () => boolean, messages: Message[]) {
  const executed: string[] = [];
  const batch = new ReplyBatch(pending);
  const execute = (msg: Message) => executed.push(label(msg));
  for (const msg of messages) batch.handle(msg, execute);
  const now = [...executed];
  return {
    now,
    later: new Promise<string[]>((resolve) => queueMicrotask(() => queueMicrotask(() => resolve(executed)))),
  };
}

describe('ReplyBatch', () => {
  it('runs everything at once while no membership change is pending', async () => {
    const { now } = run(() => false, [bind('a'), sendTo('a'), close('a')]);
    assert.deepEqual(now, ['BindUid a', 'SendToClients a', 'CloseClient a']);
  });

  it('holds sends by id while changes are pending; binds and event-dones overtake them, in order', async () => {
    let pending = false;
    const messages = [bind('a'), sendTo('a'), done('a'), bind('b'), sendTo('b'), bind('c')];
    const executed: string[] = [];
    const batch = new ReplyBatch(() => pending);
    for (const msg of messages) {
      batch.handle(msg, (m) => {
        executed.push(label(m));
        if (m.cmd === Cmd.BindUid) pending = true;
      });
    }
    assert.deepEqual(executed, ['BindUid a', 'EventDone a', 'BindUid b', 'BindUid c']);
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    assert.deepEqual(executed.slice(4), ['SendToClients a', 'SendToClients b']);
  });

  it('keeps the link order behind any other command: nothing overtakes a close', async () => {
    let pending = true;
    const { now, later } = run(() => pending, [sendTo('a'), close('a'), bind('a'), sendTo('b')]);
    assert.deepEqual(now, []);
    pending = false;
    assert.deepEqual(await later, ['SendToClients a', 'CloseClient a', 'BindUid a', 'SendToClients b']);
  });
});
