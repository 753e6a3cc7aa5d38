// Prepared frames against a real ws client on a real socket: every length encoding, text and binary.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { prepareFrame, writeFrame } from '../../gateway/prepared-frame.ts';

describe('prepared frames', () => {
  it('arrive as the same text and binary messages ws.send would send, at every length encoding', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(server, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const [serverSide] = (await once(server, 'connection')) as [WebSocket];
      const lengths = [0, 1, 125, 126, 127, 65535, 65536, 70_000];
      const sent = lengths.flatMap((n) => [
        'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2), // multi-byte text: the header counts bytes
        Buffer.alloc(n, n % 251),
      ]);
      const received: { data: Buffer; binary: boolean }[] = [];
      const all = new Promise<void>((resolve) =>
        client.on('message', (data: Buffer, binary) => {
          received.push({ data, binary });
          if (received.length === sent.length) resolve();
        }),
      );
      const frame = prepareFrame(sent[0]!);
      assert.equal(frame.payloadBytes, 0);
      for (const data of sent) writeFrame(serverSide, prepareFrame(data));
      await all;
      received.forEach(({ data, binary }, i) => {
        const expected = sent[i]!;
        assert.equal(binary, typeof expected !== 'string', `message ${i} kind`);
        assert.deepEqual(data, Buffer.from(expected as string), `message ${i} bytes`);
      });
    } finally {
      client.terminate();
      server.close();
    }
  });
});
