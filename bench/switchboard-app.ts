/**
 * The benchmark protocol (bench/protocol.ts) as a Switchboard events module:
 * `switchboard business --events bench/switchboard-app.ts`. Handlers are synchronous on purpose: the
 * benchmark measures the framework, not the app.
 */
import { Gateway } from 'switchboard';
import { OK, parseRequest } from './protocol.ts';

/** BENCH_KEEP=1: `touid:` sends are kept (`keep: true`), for the kept-message scenario. */
const KEEP = process.env.BENCH_KEEP === '1';
const ignore = () => {};

export function onMessage(clientId: string, data: string | Buffer): void {
  const text = typeof data === 'string' ? data : data.toString();
  const request = parseRequest(text);
  if (request === null) return;
  switch (request.op) {
    case 'echo':
      return Gateway.sendToCurrentClient(text);
    case 'login':
      Gateway.bindUid(clientId, request.uid);
      return Gateway.sendToCurrentClient(OK);
    case 'join':
      Gateway.joinGroup(clientId, request.group);
      return Gateway.sendToCurrentClient(OK);
    case 'touid':
      // A kept send that could not be kept is not delivered; the bench sees it as a message that did not arrive.
      if (KEEP) return void Gateway.sendToUid(request.uid, request.data, { keep: true }).catch(ignore);
      return Gateway.sendToUid(request.uid, request.data);
    case 'all':
      return Gateway.sendToAll(request.data);
    case 'group':
      return Gateway.sendToGroup(request.group, request.data);
  }
}
