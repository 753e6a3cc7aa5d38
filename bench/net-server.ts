/**
 * The raw ceiling for TCP: the benchmark protocol on a single-process `net` server speaking Workerman's text
 * protocol (a message per line, `\n` appended to each sent one), as a `switchboard gateway --protocol text`
 * does, and nothing else: no workers, no internal hop.
 * `node --import tsx bench/net-server.ts --listen 127.0.0.79:0`
 */
import { createServer, type Socket } from 'node:net';
import { OK, parseRequest } from './protocol.ts';
import { announceReady, exitOnSignal, listenArg } from './server-args.ts';

const { host, port } = listenArg(process.argv);
const clients = new Set<Socket>();
const uids = new Map<string, Set<Socket>>();
const groups = new Map<string, Set<Socket>>();
const uidOf = new Map<Socket, string>();
const groupsOf = new Map<Socket, Set<string>>();
const pending = new Map<Socket, string>();

function addTo(index: Map<string, Set<Socket>>, key: string, socket: Socket): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(socket);
}

function removeFrom(index: Map<string, Set<Socket>>, key: string, socket: Socket): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(socket);
  if (set.size === 0) index.delete(key);
}

const line = (text: string) => Buffer.from(`${text}\n`);

// One Buffer per broadcast, handed to every write, as a gateway does.
function sendEach(targets: Iterable<Socket>, data: string): void {
  const bytes = line(data);
  for (const socket of targets) if (!socket.destroyed) socket.write(bytes);
}

function onMessage(socket: Socket, text: string): void {
  const request = parseRequest(text);
  if (request === null) return;
  switch (request.op) {
    case 'echo':
      return void socket.write(line(text));
    case 'login': {
      const old = uidOf.get(socket);
      if (old !== undefined) removeFrom(uids, old, socket);
      uidOf.set(socket, request.uid);
      addTo(uids, request.uid, socket);
      return void socket.write(line(OK));
    }
    case 'join': {
      let mine = groupsOf.get(socket);
      if (!mine) groupsOf.set(socket, (mine = new Set()));
      mine.add(request.group);
      addTo(groups, request.group, socket);
      return void socket.write(line(OK));
    }
    case 'touid':
      return sendEach(uids.get(request.uid) ?? [], request.data);
    case 'all':
      return sendEach(clients, request.data);
    case 'group':
      return sendEach(groups.get(request.group) ?? [], request.data);
  }
}

function onData(socket: Socket, chunk: Buffer): void {
  let text = (pending.get(socket) ?? '') + chunk.toString();
  let end: number;
  while ((end = text.indexOf('\n')) >= 0) {
    onMessage(socket, text.slice(0, end).replace(/\r+$/, ''));
    text = text.slice(end + 1);
  }
  if (text) pending.set(socket, text);
  else pending.delete(socket);
}

function onClose(socket: Socket): void {
  clients.delete(socket);
  pending.delete(socket);
  const uid = uidOf.get(socket);
  if (uid !== undefined) removeFrom(uids, uid, socket);
  uidOf.delete(socket);
  for (const group of groupsOf.get(socket) ?? []) removeFrom(groups, group, socket);
  groupsOf.delete(socket);
}

const server = createServer((socket) => {
  clients.add(socket);
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => onData(socket, chunk));
  socket.on('close', () => onClose(socket));
  socket.on('error', () => {});
});
server.listen(port, host, () => {
  const address = server.address();
  announceReady(typeof address === 'object' && address ? address.port : port);
});
exitOnSignal(() => server.close());
