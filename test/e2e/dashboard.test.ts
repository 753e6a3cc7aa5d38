// The dashboard of `switchboard start` in headless Chromium: it renders every process as up, its figures and
// charts follow a load the test applies (connections and messages per second go up, and down again when it
// stops), a business worker killed with SIGKILL shows as restarting, then up again with a new pid, and a reload
// shows the workers it replaces draining.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { controlRequest } from '../../cli/control-socket.ts';
import type { ProcessStatus } from '../../cli/supervisor.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { ChatLoad } from '../helpers/chat-load.ts';
import { killAll } from '../helpers/processes.ts';
import { SwitchboardStart } from '../helpers/switchboard-start.ts';

const HOST = '127.0.0.214';
const CLIENTS = 10;
const PER_SECOND = 20;
const WAIT = { timeout: 30_000 };
const switchboard = new SwitchboardStart(HOST, { dashboard: `${HOST}:0`, args: ['--workers', '2'] });
let browser: Browser | undefined;
let page: Page;
let load: ChatLoad | undefined;
const pageErrors: string[] = [];

/** A figure of the page as a number (`1,234` → 1234; `–` → NaN). */
async function figure(selector: string): Promise<number> {
  const text = (await page.locator(`${selector} b`).textContent()) ?? '';
  return Number(text.replace(/,/g, ''));
}

/** Waits until the figure passes `test`, as the page shows it. */
async function figureReaches(selector: string, test: (n: number) => boolean, what: string): Promise<number> {
  const deadline = Date.now() + WAIT.timeout;
  let value = NaN;
  while (Date.now() < deadline) {
    value = await figure(selector);
    if (test(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: the page still shows ${value}`);
}

const row = (name: string, state: string) =>
  page.locator(`#processes tr[data-process="${name}"][data-state="${state}"]`);

describe('the dashboard in a browser', () => {
  before(async () => {
    await switchboard.ready(30_000);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    // Nothing may leave the page for another host: every request goes to the dashboard itself.
    page.on('request', (req) => {
      if (!req.url().startsWith(`http://${HOST}:`)) pageErrors.push(`request to ${req.url()}`);
    });
    await page.goto(await switchboard.dashboardUrl(), WAIT);
  });

  after(async () => {
    load?.stop();
    await browser?.close();
    await switchboard.stop();
    await killAll();
  });

  it('renders every process of the cluster as up, and says it is live', async () => {
    assert.equal(await page.title(), 'Switchboard dashboard');
    for (const name of ['register', 'gateway#0', 'business#0', 'business#1']) await row(name, 'up').waitFor(WAIT);
    await page.locator('#live[data-live="live"]').waitFor(WAIT);
    assert.equal(await figure('[data-figure="connections"]'), 0);
    assert.equal(await page.locator('#processes tbody tr').count(), 4);
    assert.match((await page.locator('#summary').textContent()) ?? '', /gateways 1\/1 up · workers 2\/2 up/);
    // Each chart has its axes and its line.
    for (const chart of ['connections', 'messages', 'events']) {
      await page.locator(`#chart-${chart} path.series-0`).waitFor({ state: 'attached', ...WAIT });
    }
  });

  it('follows a load: connections, uids, groups and messages per second go up', async () => {
    load = await ChatLoad.start(`ws://${HOST}:7272/`, CLIENTS, PER_SECOND);
    await figureReaches('[data-figure="connections"]', (n) => n === CLIENTS, 'connections');
    await figureReaches('[data-figure="uids"]', (n) => n === CLIENTS, 'uids');
    await figureReaches('[data-figure="groups"]', (n) => n === 1, 'groups');
    // 10 clients × 20 a second = 200 in and 200 out a second; a busy machine may send fewer.
    const rateIn = await figureReaches('[data-figure="messagesInPerSec"]', (n) => n >= 50, 'messages in/s');
    await figureReaches('[data-figure="messagesOutPerSec"]', (n) => n >= 50, 'messages out/s');
    assert.ok(rateIn <= 2 * CLIENTS * PER_SECOND, `${rateIn} in/s is no more than sent`);
    const gateway = page.locator('#processes tr[data-process="gateway#0"] td[data-column="connections"]');
    assert.equal(await gateway.textContent(), String(CLIENTS));
    // The charts drew it: the latest point of the connections line is the load's.
    const last = await page.locator('#chart-connections path.series-0').getAttribute('data-last');
    assert.equal(Number(last), CLIENTS);
    const messages = await page.locator('#chart-messages path.series-0').getAttribute('data-last');
    assert.ok(Number(messages) > 0, `messages chart at ${messages}`);
  });

  it('shows a killed worker as restarting, then up again with a new pid', async () => {
    const answer = await controlRequest(switchboard.controlPath, { cmd: 'status' });
    assert.ok(answer.ok);
    const processes = answer.processes as ProcessStatus[];
    const pid = processes.find((p) => p.role === 'business' && p.index === 0)!.pid!;
    assert.ok(pid > 0);
    assert.equal(await row('business#0', 'up').getAttribute('data-pid'), String(pid));
    process.kill(pid, 'SIGKILL');
    await row('business#0', 'restarting').waitFor(WAIT);
    assert.match((await page.locator('#summary').textContent()) ?? '', /workers 1\/2 up/);
    await page.locator('#changes li[data-what="exited"]', { hasText: `business#0` }).waitFor(WAIT);
    await row('business#0', 'up').waitFor(WAIT);
    const fresh = Number(await row('business#0', 'up').getAttribute('data-pid'));
    assert.ok(fresh > 0 && fresh !== pid, `a new process (${fresh}) in place of ${pid}`);
    assert.equal(await row('business#0', 'up').locator('td[data-column="restarts"]').textContent(), '1');
    assert.equal(await figure('[data-counter="restarts"]'), 1);
    // The other worker went on all along.
    assert.equal(await row('business#1', 'up').locator('td[data-column="restarts"]').textContent(), '0');
  });

  it('lists the workers a reload replaces as draining, and their successors up', async () => {
    const before = await page.locator('#processes tr[data-process="business#1"]').getAttribute('data-pid');
    const reloaded = controlRequest(switchboard.controlPath, { cmd: 'reload' });
    await page.locator('#changes li[data-what="draining"]', { hasText: `business#1 (pid ${before})` }).waitFor(WAIT);
    const answer = await reloaded;
    assert.ok(answer.ok && answer.replaced === 2, JSON.stringify(answer));
    await row('business#1', 'up').waitFor(WAIT);
    assert.notEqual(await row('business#1', 'up').getAttribute('data-pid'), before);
    await page.locator('#processes tr[data-state="draining"]').waitFor({ state: 'detached', ...WAIT });
    assert.equal(await page.locator('#processes tbody tr').count(), 4);
  });

  it('follows the load going away: connections and messages per second fall to 0', async () => {
    load!.stop();
    load = undefined;
    await figureReaches('[data-figure="connections"]', (n) => n === 0, 'connections');
    await figureReaches('[data-figure="messagesInPerSec"]', (n) => n === 0, 'messages in/s');
  });

  it('logged no script error, broke no content rule and asked nothing of another host', () => {
    assert.deepEqual(pageErrors, []);
  });
});
