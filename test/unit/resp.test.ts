import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommand, RespError, RespReader, type RespValue } from '../../history/resp.ts';

describe('RESP', () => {
  it('encodes a command as an array of bulk strings, binary included', () => {
    assert.equal(
      encodeCommand(['SET', 'k', 12, Buffer.from([0, 13, 10])]).toString('latin1'),
      '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$3\r\n\x00\r\n\r\n',
    );
  });

  const replies = Buffer.from('+OK\r\n-ERR bad\r\n:42\r\n$-1\r\n$4\r\na\r\nb\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n*-1\r\n');
  const expected: RespValue[] = [
    'OK',
    new RespError('ERR bad'),
    42,
    null,
    Buffer.from('a\r\nb'),
    [[1], Buffer.alloc(0)],
    null,
  ];

  it('parses every kind of reply, split at every byte', () => {
    for (let split = 0; split <= replies.length; split++) {
      const reader = new RespReader();
      const got = [...reader.push(replies.subarray(0, split)), ...reader.push(replies.subarray(split))];
      assert.deepEqual(got, expected, `split at ${split}`);
    }
  });

  it('parses one byte at a time', () => {
    const reader = new RespReader();
    const got: RespValue[] = [];
    for (const byte of replies) got.push(...reader.push(Buffer.from([byte])));
    assert.deepEqual(got, expected);
  });

  it('refuses bytes that are not RESP', () => {
    assert.throws(() => new RespReader().push(Buffer.from('hello\r\n')));
  });
});
