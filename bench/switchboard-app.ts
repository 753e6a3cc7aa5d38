/**
 * The benchmark protocol (bench/protocol.ts) as a Switchboard events module:
 * `switchboard business --events bench/switchboard-app.ts`. Handlers are synchronous on purpose: the
 * benchmark measures the framework, not the app.
 */
import { Gateway } from 'switchboard';
import { OK, parseRequest } from './protocol.ts';

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
      return Gateway.sendToUid(request.uid, request.data);
    case 'all':
      return Gateway.sendToAll(request.data);
    case 'group':
      return Gateway.sendToGroup(request.group, request.data);
  }
}
