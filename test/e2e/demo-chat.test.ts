// The demo chat as a person uses it: `switchboard start`, two headless Chromium pages logged in as different
// users, a private message, a room, a broadcast, and the gateway process killed and restarted by the supervisor
// on the same port while both pages stay open: they reconnect, log in again and get the messages sent after.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { killAll } from '../helpers/processes.ts';
import { SwitchboardStart } from '../helpers/switchboard-start.ts';

const HOST = '127.0.0.43';
const WAIT = { timeout: 15_000 };
const switchboard = new SwitchboardStart(HOST);
let browser: Browser | undefined;
const pageErrors: string[] = [];

/** A page of the demo, logged in as `uid`. */
async function logIn(uid: string): Promise<Page> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${uid}: ${err.message}`));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${uid}: ${m.text()}`));
  await page.goto(switchboard.pageUrl, WAIT);
  await page.fill('#uid', uid);
  await page.click('#login-form button');
  await line(page, 'system', `Logged in as ${uid}.`);
  return page;
}

/** Waits for a line of the given kind (css class) with `text` in the page's log. */
async function line(page: Page, kind: string, text: string): Promise<string> {
  const found = page.locator(`#log li.${kind}`, { hasText: text }).last();
  await found.waitFor(WAIT);
  return (await found.textContent()) ?? '';
}

async function send(page: Page, target: string, text: string): Promise<void> {
  await page.selectOption('#target', target, WAIT);
  await page.fill('#text', text);
  await page.click('#send-form button');
}

async function online(page: Page): Promise<string[]> {
  return page.locator('#online li').allTextContents();
}

describe('demo chat in a browser', () => {
  let alice: Page;
  let bob: Page;

  before(async () => {
    await switchboard.ready();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await switchboard.stop();
    await killAll();
  });

  it('two users log in and see each other online', async () => {
    alice = await logIn('alice');
    bob = await logIn('bob');
    await alice.locator('#online li', { hasText: 'bob' }).waitFor(WAIT);
    assert.deepEqual(await online(alice), ['alice (you)', 'bob']);
    assert.deepEqual(await online(bob), ['alice', 'bob (you)']);
    assert.equal(await alice.locator('#status').getAttribute('data-state'), 'open');
  });

  it('exchange private messages', async () => {
    await send(alice, 'user:bob', 'hi bob, alice here');
    assert.match(await line(bob, 'say', 'hi bob, alice here'), /alice → you/);
    assert.match(await line(alice, 'say', 'hi bob, alice here'), /you → bob/);
    // Clicking a name in the online list picks that user as the receiver.
    await bob.click('#online li button:has-text("alice")');
    assert.equal(await bob.inputValue('#target'), 'user:alice');
    await bob.fill('#text', 'hello alice');
    await bob.press('#text', 'Enter');
    assert.match(await line(alice, 'say', 'hello alice'), /bob → you/);
  });

  it('join a room and talk in it', async () => {
    for (const page of [alice, bob]) {
      await page.fill('#room', 'lobby');
      await page.click('#join-form button');
      await line(page, 'system', 'You joined #lobby.');
    }
    await line(alice, 'system', 'bob joined #lobby.');
    assert.equal(await bob.inputValue('#target'), 'room:lobby', 'a joined room becomes the receiver');
    await send(bob, 'room:lobby', 'anyone in the lobby?');
    assert.match(await line(alice, 'room', 'anyone in the lobby?'), /bob in #lobby/);
  });

  it('see a broadcast', async () => {
    await send(alice, 'all', 'hello everyone');
    assert.match(await line(bob, 'all', 'hello everyone'), /alice to everyone/);
    assert.match(await line(alice, 'all', 'hello everyone'), /alice to everyone/, 'the sender gets it back');
  });

  it('a page survives a gateway restart: it reconnects, logs in again and gets later messages', async () => {
    const before = await alice.locator('#identity').textContent();
    const started = Date.now();
    await switchboard.restartGateway('SIGKILL');
    await alice.locator('#status[data-state="reconnecting"]').waitFor(WAIT);
    await line(alice, 'problem', 'Connection lost (1006)');
    for (const page of [alice, bob]) {
      await line(page, 'system', 'Back online as');
      await page.locator('#status[data-state="open"]').waitFor(WAIT);
    }
    const back = Date.now() - started;
    assert.notEqual(await alice.locator('#identity').textContent(), before, 'a new connection, a new client id');

    await send(bob, 'user:alice', 'still there after the restart?');
    assert.match(await line(alice, 'say', 'still there after the restart?'), /bob → you/);
    await send(bob, 'room:lobby', 'the lobby is back too');
    assert.match(await line(alice, 'room', 'the lobby is back too'), /bob in #lobby/, 'rooms were joined again');
    await send(alice, 'all', 'back online');
    await line(bob, 'all', 'back online');
    assert.deepEqual(await online(alice), ['alice (you)', 'bob']);
    assert.ok(back < 15_000, `back within ${back} ms`);
  });

  it('logged no script error in either page', () => {
    // The only console errors allowed are the browser's own reports of failed reconnect attempts.
    const unexpected = pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
