import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';

/** One load-generator connection, whatever library speaks to the server. */
export interface LoadClient {
  send(text: string): void;
  /** Called with each text message the server sends. */
  onText: (text: string) => void;
  /** Called once when the connection is gone. */
  onClose: () => void;
  readonly open: boolean;
  close(): void;
}

/** Opens one connection from `localAddress`; rejects on error or after `timeoutMs`. */
export function connectClient(
  transport: Transport,
  url: string,
  localAddress: string,
  timeoutMs: number,
): Promise<LoadClient> {
  if (transport === 'tcp') return connectTcp(url, localAddress, timeoutMs);
  return transport === 'ws' ? connectWs(url, localAddress, timeoutMs) : connectSocketIo(url, localAddress, timeoutMs);
}

/** WebSocket (`ws://`), Socket.IO, or plain TCP speaking the text protocol (`tcp://HOST:PORT`, a line a message). */
export type Transport = 'ws' | 'socketio' | 'tcp';

const ignore = () => {};

function connectWs(url: string, localAddress: string, timeoutMs: number): Promise<LoadClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const client: LoadClient = {
      send: (text) => ws.send(text),
      onText: ignore,
      onClose: ignore,
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
      close: () => ws.terminate(),
    };
    ws.on('message', (data: Buffer) => client.onText(data.toString()));
    ws.once('open', () => resolve(client));
    ws.on('error', (err) => reject(err));
    ws.once('close', () => {
      reject(new Error('closed before it opened'));
      client.onClose();
    });
  });
}

function connectTcp(url: string, localAddress: string, timeoutMs: number): Promise<LoadClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: hostname, port: Number(port), localAddress, noDelay: true });
    const timer = setTimeout(() => socket.destroy(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
    let open = false;
    let pending = '';
    const client: LoadClient = {
      send: (text) => void socket.write(`${text}\n`),
      onText: ignore,
      onClose: ignore,
      get open() {
        return open;
      },
      close: () => socket.destroy(),
    };
    socket.on('data', (chunk: Buffer) => {
      let text = pending + chunk.toString();
      let end: number;
      while ((end = text.indexOf('\n')) >= 0) {
        client.onText(text.slice(0, end));
        text = text.slice(end + 1);
      }
      pending = text;
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      open = true;
      resolve(client);
    });
    socket.on('error', (err) => reject(err));
    socket.once('close', () => {
      clearTimeout(timer);
      open = false;
      reject(new Error('closed before it opened'));
      client.onClose();
    });
  });
}

function connectSocketIo(url: string, localAddress: string, timeoutMs: number): Promise<LoadClient> {
  return new Promise((resolve, reject) => {
    // engine.io-client hands localAddress on to the Node `ws` client it uses, but its types do not list it.
    const nodeOptions: object = { localAddress };
    const socket: Socket = io(url, {
      ...nodeOptions,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    const client: LoadClient = {
      send: (text) => void socket.send(text),
      onText: ignore,
      onClose: ignore,
      get open() {
        return socket.connected;
      },
      close: () => void socket.disconnect(),
    };
    socket.on('message', (text: unknown) => client.onText(String(text)));
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (err) => reject(err));
    socket.once('disconnect', () => client.onClose());
  });
}
