/**
 * The demo app: a small chat. Every message is JSON.
 *
 *   {"type":"login","uid":"alice"}                 -> bindUid; you get {"type":"welcome",...}, everyone "online"
 *   {"type":"say","to":"bob","text":"hi"}         -> private message to every device of bob
 *   {"type":"join","room":"lobby"}                 -> joinGroup
 *   {"type":"leave","room":"lobby"}                -> leaveGroup
 *   {"type":"room","room":"lobby","text":"hi"}    -> everyone in the room but you
 *   {"type":"all","text":"hi"}                     -> broadcast to everyone
 *   {"type":"who"}                                 -> the uids online
 *
 * Replace this file with your own handlers; `switchboard business --events path/to/file.ts` loads another.
 */
import { Gateway, type Context } from 'switchboard';

type ChatMessage =
  | { type: 'login'; uid: string }
  | { type: 'say'; to: string; text: string }
  | { type: 'join' | 'leave'; room: string }
  | { type: 'room'; room: string; text: string }
  | { type: 'all'; text: string }
  | { type: 'who' };

export function onConnect(clientId: string) {
  Gateway.sendToClient(clientId, { type: 'hello', clientId, help: 'send {"type":"login","uid":"your-name"}' });
}

export async function onMessage(clientId: string, data: string | Buffer, ctx: Context) {
  let message: ChatMessage;
  try {
    message = JSON.parse(String(data)) as ChatMessage;
  } catch {
    return Gateway.sendToCurrentClient({ type: 'error', error: 'send JSON, e.g. {"type":"login","uid":"alice"}' });
  }
  const from = ctx.session.uid as string | undefined;
  if (message.type === 'login') {
    const uid = String(message.uid ?? '').trim();
    if (!uid) return Gateway.sendToCurrentClient({ type: 'error', error: 'login needs a uid' });
    Gateway.bindUid(clientId, uid);
    ctx.session.uid = uid;
    Gateway.sendToCurrentClient({ type: 'welcome', uid, online: await Gateway.getAllUidList() });
    Gateway.sendToAll({ type: 'online', uid }, null, [clientId]);
    return;
  }
  if (!from)
    return Gateway.sendToCurrentClient({ type: 'error', error: 'log in first: {"type":"login","uid":"alice"}' });
  switch (message.type) {
    case 'say':
      Gateway.sendToUid(message.to, { type: 'say', from, text: message.text });
      return;
    case 'join':
      Gateway.joinGroup(clientId, message.room);
      Gateway.sendToGroup(message.room, { type: 'joined', room: message.room, uid: from });
      return;
    case 'leave':
      Gateway.leaveGroup(clientId, message.room);
      return;
    case 'room':
      Gateway.sendToGroup(message.room, { type: 'room', room: message.room, from, text: message.text }, [clientId]);
      return;
    case 'all':
      Gateway.sendToAll({ type: 'all', from, text: message.text });
      return;
    case 'who':
      Gateway.sendToCurrentClient({ type: 'who', online: await Gateway.getAllUidList() });
      return;
    default:
      Gateway.sendToCurrentClient({
        type: 'error',
        error: `unknown type ${JSON.stringify((message as { type?: unknown }).type)}`,
      });
  }
}

export async function onClose(_clientId: string, ctx: Context) {
  const uid = ctx.session.uid as string | undefined;
  if (uid && !(await Gateway.isUidOnline(uid))) Gateway.sendToAll({ type: 'offline', uid });
}
