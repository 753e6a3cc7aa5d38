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
  transport: 'ws' | 'socketio',
  url: string,
  localAddress: string,
  timeoutMs: number,
): Promise<LoadClient> {
  return transport === 'ws' ? connectWs(url, localAddress, timeoutMs) : connectSocketIo(url, localAddress, timeoutMs);
}

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
