// A program that runs on a client host (possibly inside a network namespace, where the test process cannot
// open sockets itself): it opens real `ws` clients when told to and reports what they receive. One JSON
// object per line, commands on stdin, events on stdout; it exits when stdin closes (the test is gone).
//
//   in:  {"op":"open","id":1,"url":"ws://…","localAddress":"10.77.0.55","deadAfterMs":2000}
//        {"op":"send","id":1,"data":"text"}  {"op":"send","id":1,"data":"<base64>","binary":true}
//        {"op":"close","id":1}
//   out: {"ev":"ready"}  {"ev":"open","id":1}  {"ev":"message","id":1,"data":"…","binary":false}
//        {"ev":"close","id":1,"code":1006,"dead":true}
//
// `deadAfterMs` is what a real client app does against a gateway that vanished without closing the socket:
// when nothing (not even a ping) arrived for that long, it gives up on the connection (`dead: true`).
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

interface Command {
  op: 'open' | 'send' | 'close';
  id: number;
  url?: string;
  localAddress?: string;
  deadAfterMs?: number;
  data?: string;
  binary?: boolean;
}

const sockets = new Map<number, WebSocket>();
const out = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify(event) + '\n');

function open({ id, url, localAddress, deadAfterMs }: Command): void {
  const ws = new WebSocket(url!, localAddress ? { localAddress } : {});
  sockets.set(id, ws);
  let dead = false;
  let watchdog: NodeJS.Timeout | null = null;
  const heard = () => {
    if (!deadAfterMs) return;
    if (watchdog) clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      dead = true;
      ws.terminate();
    }, deadAfterMs);
  };
  ws.on('open', () => {
    heard();
    out({ ev: 'open', id });
  });
  ws.on('ping', heard);
  ws.on('message', (raw: Buffer, binary: boolean) => {
    heard();
    out({ ev: 'message', id, binary, data: binary ? raw.toString('base64') : raw.toString() });
  });
  ws.on('error', (err) => out({ ev: 'error', id, message: err.message }));
  ws.on('close', (code) => {
    if (watchdog) clearTimeout(watchdog);
    sockets.delete(id);
    out({ ev: 'close', id, code, dead });
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  const ws = sockets.get(command.id);
  switch (command.op) {
    case 'open':
      return open(command);
    case 'send':
      if (ws?.readyState === WebSocket.OPEN) {
        ws.send(command.binary ? Buffer.from(command.data!, 'base64') : command.data!);
      }
      return;
    case 'close':
      ws?.terminate();
      return;
  }
});
lines.on('close', () => process.exit(0));
out({ ev: 'ready' });
