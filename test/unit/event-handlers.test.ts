import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkExportNames, closestHandler, loadEventHandlers } from '../../business/event-handlers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-events-'));
const moduleFile = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('events module exports', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('suggests the handler a misspelt name meant', () => {
    assert.equal(closestHandler('onMesage'), 'onMessage');
    assert.equal(closestHandler('onclose'), 'onClose');
    assert.equal(closestHandler('onWebsocketConnect'), 'onWebSocketConnect');
    assert.equal(closestHandler('onWorkerStrat'), 'onWorkerStart');
    assert.equal(closestHandler('formatPrice'), undefined);
  });

  it('refuses at load time an export that reads like a handler but is none (SB_ERR_UNKNOWN_HANDLER)', async () => {
    const file = moduleFile('typo.mjs', 'export function onConnect() {}\nexport function onMesage() {}\n');
    await assert.rejects(loadEventHandlers(file), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SB_ERR_UNKNOWN_HANDLER');
      assert.match(err.message, /onMesage is not a handler: did you mean onMessage\?/);
      return true;
    });
    assert.throws(() => checkExportNames('events', ['onError']), { code: 'SB_ERR_UNKNOWN_HANDLER' });
    assert.throws(() => checkExportNames('events', ['onmessage']), { code: 'SB_ERR_UNKNOWN_HANDLER' });
    const warnings: string[] = [];
    checkExportNames('events', ['default', '__esModule', 'module.exports', 'onMessage'], (m) => warnings.push(m));
    assert.deepEqual(warnings, [], 'what a module namespace carries besides exports is no export of the app');
  });

  it('loads every handler, onWebSocketConnect included, and only warns of other exports', async () => {
    const file = moduleFile(
      'ok.mjs',
      'export const onWebSocketConnect = () => 1;\nexport function onMessage() {}\nexport const VERSION = 3;\n' +
        'export function formatPrice() {}\n',
    );
    const warnings: string[] = [];
    const handlers = await loadEventHandlers(file, (m) => warnings.push(m));
    assert.deepEqual(Object.keys(handlers).sort(), ['onMessage', 'onWebSocketConnect']);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /VERSION is not a handler/);
  });
});
