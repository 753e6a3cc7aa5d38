import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from '../../gateway/admission.ts';

const request = (origin?: string) => ({ headers: origin === undefined ? {} : { origin } });

describe('Admission', () => {
  it('counts connections per gateway and per IP exactly, and frees them on release', () => {
    const admission = new Admission({ maxConnections: 3, maxConnectionsPerIp: 2, allowedOrigins: [] });
    assert.equal(admission.admit('1.1.1.1'), null);
    assert.equal(admission.admit('1.1.1.1'), null);
    assert.equal(admission.admit('1.1.1.1')?.status, 1008, 'third from one IP');
    assert.equal(admission.admit('2.2.2.2'), null);
    assert.equal(admission.admit('3.3.3.3')?.status, 1013, 'gateway full');
    admission.release('1.1.1.1');
    assert.equal(admission.admit('3.3.3.3'), null, 'a released slot is free again');
    assert.equal(admission.admit('1.1.1.1')?.status, 1013);
    admission.release('3.3.3.3');
    assert.equal(admission.admit('1.1.1.1'), null, 'its IP had one connection left');
    assert.equal(admission.admit('4.4.4.4')?.status, 1013);
  });

  it('has no limit at 0', () => {
    const admission = new Admission({ maxConnections: 0, maxConnectionsPerIp: 0, allowedOrigins: [] });
    for (let i = 0; i < 1000; i++) assert.equal(admission.admit('1.1.1.1'), null);
  });

  it('does not count a refused connection', () => {
    const admission = new Admission({ maxConnections: 0, maxConnectionsPerIp: 1, allowedOrigins: [] });
    assert.equal(admission.admit('1.1.1.1'), null);
    for (let i = 0; i < 5; i++) assert.equal(admission.admit('1.1.1.1')?.status, 1008);
    admission.release('1.1.1.1');
    assert.equal(admission.admit('1.1.1.1'), null);
  });

  it('checks the Origin case-insensitively, allowing any (or none) when no origin is configured', () => {
    const open = new Admission({ maxConnections: 0, maxConnectionsPerIp: 0, allowedOrigins: [] });
    assert.equal(open.checkOrigin(request('https://evil.example')), null);
    assert.equal(open.checkOrigin(request()), null);
    const strict = new Admission({
      maxConnections: 0,
      maxConnectionsPerIp: 0,
      allowedOrigins: ['https://App.example'],
    });
    assert.equal(strict.checkOrigin(request('https://app.EXAMPLE')), null);
    assert.equal(strict.checkOrigin(request('https://evil.example'))?.status, 403);
    assert.equal(strict.checkOrigin(request())?.status, 403, 'no Origin header');
  });
});
