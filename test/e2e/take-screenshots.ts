// Takes the docs' screenshots (docs/*.png) in headless Chromium: `npm run screenshots`. The demo chat, then the
// dashboard under a chat load. Not a test: it runs the same `switchboard start` and browser as
// test/e2e/demo-chat.test.ts and test/e2e/dashboard.test.ts, on 127.0.0.49.
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { ChatLoad } from '../helpers/chat-load.ts';
import { killAll } from '../helpers/processes.ts';
import { SwitchboardStart } from '../helpers/switchboard-start.ts';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const VIEWPORT = { width: 1100, height: 640 };
const WAIT = { timeout: 15_000 };

const switchboard = new SwitchboardStart('127.0.0.49', { dashboard: '127.0.0.49:7271', args: ['--workers', '2'] });
let browser: Browser | undefined;
let load: ChatLoad | undefined;

async function open(uid: string): Promise<Page> {
  const page = await (await browser!.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 })).newPage();
  await page.goto(switchboard.pageUrl, WAIT);
  await page.fill('#uid', uid);
  return page;
}

async function logIn(page: Page): Promise<void> {
  await page.click('#login-form button');
  await page.locator('#log li', { hasText: 'Logged in as' }).waitFor(WAIT);
}

async function say(page: Page, target: string, text: string, seenBy: Page): Promise<void> {
  await page.selectOption('#target', target, WAIT);
  await page.fill('#text', text);
  await page.click('#send-form button');
  await seenBy.locator('#log li', { hasText: text }).last().waitFor(WAIT);
}

async function join(page: Page, room: string): Promise<void> {
  await page.fill('#room', room);
  await page.click('#join-form button');
  await page.locator('#log li', { hasText: `You joined #${room}.` }).waitFor(WAIT);
}

try {
  await switchboard.ready();
  browser = await launchBrowser();
  const alice = await open('alice');
  await logIn(alice);
  const bob = await open('bob');
  await logIn(bob);
  const carol = await open('carol');
  await logIn(carol);
  await alice.locator('#online li', { hasText: 'carol' }).waitFor(WAIT);

  await say(bob, 'user:alice', 'Hi Alice, are you coming to the standup?', alice);
  await say(alice, 'user:bob', 'Yes, joining the room now.', bob);
  for (const page of [alice, bob, carol]) await join(page, 'standup');
  await say(bob, 'room:standup', 'Yesterday: shipped the reconnecting client.', alice);
  await say(carol, 'room:standup', 'Today: screenshots for the README.', alice);
  await say(carol, 'all', 'Lunch at noon, everyone!', alice);
  await alice.fill('#text', 'Sounds good');
  await alice.screenshot({ path: `${DOCS}demo-chat.png` });

  // The gateway process dies; the supervisor starts a new one on the same port and the page comes back.
  await switchboard.restartGateway('SIGKILL');
  for (const page of [alice, bob, carol]) await page.locator('#log li', { hasText: 'Back online as' }).waitFor(WAIT);
  await say(bob, 'room:standup', 'That was a gateway restart: nobody noticed.', alice);
  await alice.fill('#text', '');
  await alice.screenshot({ path: `${DOCS}demo-reconnected.png` });

  // The dashboard after a minute of load (40 clients, 10 messages a second each), a gateway restart behind it.
  const dashboard = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await dashboard.goto(await switchboard.dashboardUrl(), WAIT);
  load = await ChatLoad.start('ws://127.0.0.49:7272/', 40, 10);
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  await dashboard.screenshot({ path: `${DOCS}dashboard.png`, fullPage: true });
  process.stdout.write(`screenshots written to ${DOCS}\n`);
} finally {
  load?.stop();
  await browser?.close();
  await switchboard.stop();
  await killAll();
}
