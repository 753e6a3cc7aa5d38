/**
 * The raw ceiling: the benchmark protocol on a single-process `ws` server with the same settings a Switchboard
 * gateway uses (no compression, no client tracking) and nothing else: no workers, no internal hop.
 * `node --import tsx bench/ws-server.ts --listen 127.0.0.70:0`
 */
import { WebSocket, WebSocketServer } from 'ws';
import { OK, parseRequest } from './protocol.ts';
import { announceReady, exitOnSignal, listenArg } from './server-args.ts';

const { host, port } = listenArg(process.argv);
const clients = new Set<WebSocket>();
const uids = new Map<string, Set<WebSocket>>();
const groups = new Map<string, Set<WebSocket>>();
const uidOf = new Map<WebSocket, string>();
const groupsOf = new Map<WebSocket, Set<string>>();

function addTo(index: Map<string, Set<WebSocket>>, key: string, ws: WebSocket): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(ws);
}

function removeFrom(index: Map<string, Set<WebSocket>>, key: string, ws: WebSocket): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(ws);
  if (set.size === 0) index.delete(key);
}

// One Buffer per broadcast, handed to every send, as a gateway does.
function sendEach(targets: Iterable<WebSocket>, data: string): void {
  const bytes = Buffer.from(data);
  for (const ws of targets) if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: false });
}

function onMessage(ws: WebSocket, raw: Buffer): void {
  const text = raw.toString();
  const request = parseRequest(text);
  if (request === null) return;
  switch (request.op) {
    case 'echo':
      return ws.send(text);
    case 'login': {
      const old = uidOf.get(ws);
      if (old !== undefined) removeFrom(uids, old, ws);
      uidOf.set(ws, request.uid);
      addTo(uids, request.uid, ws);
      return ws.send(OK);
    }
    case 'join': {
      let mine = groupsOf.get(ws);
      if (!mine) groupsOf.set(ws, (mine = new Set()));
      mine.add(request.group);
      addTo(groups, request.group, ws);
      return ws.send(OK);
    }
    case 'touid':
      return sendEach(uids.get(request.uid) ?? [], request.data);
    case 'all':
      return sendEach(clients, request.data);
    case 'group':
      return sendEach(groups.get(request.group) ?? [], request.data);
  }
}

function onClose(ws: WebSocket): void {
  clients.delete(ws);
  const uid = uidOf.get(ws);
  if (uid !== undefined) removeFrom(uids, uid, ws);
  uidOf.delete(ws);
  for (const group of groupsOf.get(ws) ?? []) removeFrom(groups, group, ws);
  groupsOf.delete(ws);
}

const wss = new WebSocketServer({ host, port, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
  clients.add(ws);
  ws.on('message', (raw: Buffer) => onMessage(ws, raw));
  ws.on('close', () => onClose(ws));
  ws.on('error', () => {});
});
wss.once('listening', () => {
  const address = wss.address();
  announceReady(typeof address === 'object' && address ? address.port : port);
});
exitOnSignal(() => wss.close());
