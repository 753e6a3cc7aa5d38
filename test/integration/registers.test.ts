// Several registers: every gateway and worker uses all of them, so losing one changes nothing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.26';
const env = { SWITCHBOARD_SECRET: 'registers-secret' };
const registers = `${HOST}:1236,${HOST}:1237`;
const clients: TestClient[] = [];

const ipc = { ipc: true };
const worker = (name: string) =>
  new RoleProcess(name, ['business', '--events', `${FIXTURES}api-app.ts`, '--register', registers], env, [], ipc);
/** Resolves once `worker` has a link to the gateway (its own count, over IPC). */
const linked = (worker: RoleProcess) => worker.untilStats((s) => s.gateways === 1, { timeoutMs: 20_000 });

describe('several registers', () => {
  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('keeps finding gateways through the registers that are left', async () => {
    const first = new RoleProcess('register-a', ['register', '--listen', `${HOST}:1236`], env, [], ipc);
    const second = new RoleProcess('register-b', ['register', '--listen', `${HOST}:1237`], env, [], ipc);
    await Promise.all([first.ready(), second.ready()]);
    const gateway = new RoleProcess(
      'gateway',
      ['gateway', '--listen', `${HOST}:7272`, '--lan-ip', HOST, '--register', registers],
      env,
    );
    // The gateway announced itself to both registers.
    await Promise.all([first.untilStats((s) => s.gateways === 1), second.untilStats((s) => s.gateways === 1)]);
    const w1 = worker('w1');
    await linked(w1);

    await first.kill('SIGKILL');
    await w1.kill('SIGKILL');
    const w2 = worker('w2');
    await linked(w2);
    const client = await TestClient.connect(`ws://${HOST}:7272`);
    clients.push(client);
    assert.equal(await client.call('getAllClientIdCount'), 1);
    assert.equal(gateway.proc.exitCode, null);
  });
});
