import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientProof, newNonce, proofMatches, serverProof } from '../../shared/handshake.ts';

describe('handshake proofs', () => {
  it('match only with the same secret, nonces and role', () => {
    const ns = newNonce();
    const nc = newNonce();
    const proof = clientProof('s3cret', ns, nc, 'worker');
    assert.ok(proofMatches(clientProof('s3cret', ns, nc, 'worker'), proof));
    assert.ok(!proofMatches(clientProof('other', ns, nc, 'worker'), proof));
    assert.ok(!proofMatches(clientProof('s3cret', newNonce(), nc, 'worker'), proof), 'replay on a new connection');
    assert.ok(!proofMatches(clientProof('s3cret', ns, nc, 'gateway'), proof), 'role is bound');
    assert.ok(!proofMatches(serverProof('s3cret', nc, ns), proof), 'server proof differs from client proof');
    assert.ok(!proofMatches(proof, proof.subarray(0, 16)), 'truncated');
  });

  it('never contain the secret', () => {
    const proof = clientProof('visible-secret', newNonce(), newNonce(), 'worker');
    assert.ok(!proof.includes(Buffer.from('visible-secret')));
  });
});
