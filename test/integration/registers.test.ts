// Several registers: every gateway and worker uses all of them, so losing one changes nothing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.26';
const env = { SWITCHBOARD_SECRET: 'registers-secret' };
const registers = `${HOST}:1236,${HOST}:1237`;
const clients: TestClient[] = [];

const worker = (name: string) =>
  new RoleProcess(name, ['business', '--events', `${FIXTURES}api-app.ts`, '--register', registers], env);

describe('several registers', () => {
  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('keeps finding gateways through the registers that are left', async () => {
    const first = new RoleProcess('register-a', ['register', '--listen', `${HOST}:1236`], env);
    const second = new RoleProcess('register-b', ['register', '--listen', `${HOST}:1237`], env);
    await Promise.all([first.waitFor('register listening'), second.waitFor('register listening')]);
    const gateway = new RoleProcess(
      'gateway',
      ['gateway', '--listen', `${HOST}:7272`, '--lan-ip', HOST, '--register', registers],
      env,
    );
    await first.waitFor('joined');
    await second.waitFor('joined');
    const w1 = worker('w1');
    await w1.waitFor('connected to gateway');

    await first.kill('SIGKILL');
    await w1.kill('SIGKILL');
    const w2 = worker('w2');
    await w2.waitFor(`connected to gateway ${HOST}:2900`);
    const client = await TestClient.connect(`ws://${HOST}:7272`);
    clients.push(client);
    assert.equal(await client.call('getAllClientIdCount'), 1);
    assert.equal(gateway.proc.exitCode, null);
  });
});
