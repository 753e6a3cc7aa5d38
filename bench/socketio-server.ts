/**
 * The benchmark protocol on a single-process Socket.IO 4 server: `message` events carry the protocol text,
 * uids and groups are rooms. `node --import tsx bench/socketio-server.ts --listen 127.0.0.71:0`
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { OK, parseRequest } from './protocol.ts';
import { announceReady, exitOnSignal, listenArg } from './server-args.ts';

const { host, port } = listenArg(process.argv);
const http = createServer();
// WebSocket only, as the load generator connects: no long-polling upgrade dance to measure.
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  socket.on('message', (text: unknown) => {
    if (typeof text !== 'string') return;
    const request = parseRequest(text);
    if (request === null) return;
    switch (request.op) {
      case 'echo':
        return void socket.send(text);
      case 'login':
        void socket.join(`uid:${request.uid}`);
        return void socket.send(OK);
      case 'join':
        void socket.join(`group:${request.group}`);
        return void socket.send(OK);
      case 'touid':
        return void io.to(`uid:${request.uid}`).emit('message', request.data);
      case 'all':
        return void io.emit('message', request.data);
      case 'group':
        return void io.to(`group:${request.group}`).emit('message', request.data);
    }
  });
});

http.listen(port, host, () => {
  const address = http.address();
  announceReady(typeof address === 'object' && address ? address.port : port);
});
exitOnSignal(() => void io.close());
