import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ClientErrorCode } from 'switchboard/client';
import { ClientLogCode, ErrorCode, isErrorCode, peerErrorCode } from '../../shared/errors.ts';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** The codes in the first column of the tables of docs/errors.md. */
const documented = new Set<string>([...docs.matchAll(/^\| `(SB_[A-Z_]+)`/gm)].map((m) => m[1]!));

describe('error codes', () => {
  it('are all listed in docs/errors.md: every error, client log and client library code', () => {
    const codes = [...Object.values(ErrorCode), ...Object.values(ClientLogCode), ...Object.values(ClientErrorCode)];
    assert.ok(codes.length > 25);
    for (const code of codes) assert.ok(documented.has(code), `${code} is missing from docs/errors.md`);
  });

  it('are unique, and docs/errors.md lists no code that does not exist', () => {
    const server = [...Object.values(ErrorCode), ...Object.values(ClientLogCode)];
    assert.equal(new Set(server).size, server.length);
    const known = new Set<string>([...server, ...Object.values(ClientErrorCode)]);
    for (const code of documented) assert.ok(known.has(code), `docs/errors.md lists unknown ${code}`);
  });

  it('from a peer are used only when they are ours', () => {
    assert.equal(peerErrorCode('SB_ERR_AUTH_FAILED', ErrorCode.ConnectionLost), ErrorCode.AuthFailed);
    assert.equal(peerErrorCode('SB_ERR_MADE_UP', ErrorCode.QueryFailed), ErrorCode.QueryFailed);
    assert.equal(
      peerErrorCode('SB_CLOSE_RATE_LIMIT', ErrorCode.QueryFailed),
      ErrorCode.QueryFailed,
      'not an error code',
    );
    assert.equal(isErrorCode('toString'), false);
    assert.equal(isErrorCode(42), false);
  });
});
