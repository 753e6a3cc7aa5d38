/**
 * The app a soak's workers run. Every message is JSON text:
 *
 *   {"login":"u3"}                          -> bindUid; the client gets {"bound":"u3","w":PID}
 *   {"to":"u7","from":"u3","seq":41,"t":…}  -> sendToUid("u7", the same object with "w":PID added)
 *
 * `w` is the pid of the worker that handled the message, so the soak can tell which worker a client was on.
 */
import { Gateway, type Context } from 'switchboard';

const PID = process.pid;

export function onMessage(clientId: string, data: string | Buffer, ctx: Context) {
  const text = String(data);
  const message = JSON.parse(text) as { login?: string; to?: string };
  if (message.login) {
    Gateway.bindUid(clientId, message.login);
    ctx.session.uid = message.login;
    Gateway.sendToCurrentClient(`{"bound":${JSON.stringify(message.login)},"w":${PID}}`);
    return;
  }
  if (message.to) Gateway.sendToUid(message.to, `{"w":${PID},${text.slice(1)}`);
}
