// Kept messages in a real browser: a Chromium page uses the client library with `recover: { storage:
// localStorage }`, is bound to a uid and gets kept messages; the browser is quit; more are kept for the uid
// meanwhile; the browser is started again on the same profile, the page opened again, and it gets exactly those,
// once and in order, then the new ones. On the embedded history (one gateway) and on a real Redis (the page connects
// to the other gateway when it comes back).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { GatewayClient } from '../../index.ts';
import { createLogger } from '../../shared/logger.ts';
import { launchPersistentBrowser } from '../helpers/browser.ts';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { RedisServer } from '../helpers/redis.ts';

const quiet = createLogger({}, 'silent');
const WAIT = 20_000;

/** What the page recorded: the messages it got (with the kept ones' positions) and the recovery events. */
interface PageLog {
  messages: { data: unknown; kept: { stream: string; epoch: string; offset: number } | null }[];
  events: { type: string; stream: string; offset: number | null }[];
  opens: number;
}

/**
 * Opens the page on the gateway's origin and starts a client that recovers with positions in localStorage and
 * binds `uid` on every (re)connect, through the test app's call protocol.
 */
async function openPage(context: BrowserContext, httpUrl: string, wsUrl: string, uid: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${httpUrl}/livez`, { timeout: WAIT });
  await page.evaluate(
    async ({ wsUrl, uid }) => {
      const library = '/client/index.js';
      const { SwitchboardClient } = await import(library);
      const g = globalThis as unknown as { log: PageLog; localStorage: unknown };
      const log: PageLog = { messages: [], events: [], opens: 0 };
      g.log = log;
      const client = new SwitchboardClient(wsUrl, { recover: { storage: g.localStorage, key: `positions ${uid}` } });
      client.on('open', () => {
        log.opens++;
        client.send({ id: 1, call: 'bindUid', args: ['$self', uid] });
      });
      client.on('message', (m: { json(): unknown; data: unknown; kept: PageLog['messages'][0]['kept'] }) =>
        log.messages.push({ data: m.json() ?? m.data, kept: m.kept }),
      );
      for (const type of ['recovered', 'notRecovered']) {
        client.on(type, (e: { stream: string; offset: number | null }) =>
          log.events.push({ type, stream: e.stream, offset: e.offset }),
        );
      }
    },
    { wsUrl, uid },
  );
  return page;
}

const logOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { log: PageLog }).log);

/** Waits until the page's log passes `done`, and returns it. */
async function waitForLog(page: Page, what: string, done: (log: PageLog) => boolean): Promise<PageLog> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const log = await logOf(page);
    if (done(log)) return log;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT} ms; the page has ${JSON.stringify(log)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const keptNumbers = (log: PageLog) =>
  log.messages.filter((m) => m.kept !== null).map((m) => (m.data as { n: number }).n);

for (const store of ['memory', 'redis'] as const) {
  describe(`a browser closed and opened again recovers kept messages, ${store} history`, () => {
    const host = store === 'memory' ? '127.0.0.183' : '127.0.0.184';
    const profile = mkdtempSync(join(tmpdir(), 'switchboard-recovery-profile-'));
    let redis: RedisServer | null = null;
    let cluster: Cluster;
    let sender: GatewayClient;
    let browser: BrowserContext | null = null;
    const uid = `reader-${store}`;
    // The page (always from gateway 0's origin, which its localStorage belongs to) comes back over a WebSocket to
    // the other gateway: both histories are shared by every gateway.
    const back = 1;
    const http = (i: number) => `http://${host}:${7272 + i}`;

    before(async () => {
      if (store === 'redis') redis = await RedisServer.start();
      const history = ['--history', redis?.url ?? 'memory'];
      cluster = new Cluster({
        host,
        gateways: 2,
        workers: 1,
        gatewayArgs: history,
        workerArgs: history,
      });
      await cluster.start();
      sender = new GatewayClient({
        register: cluster.registerAddress,
        secret: 'test-secret',
        log: quiet,
        history: redis?.url ?? 'memory',
      });
      await sender.ready();
    });
    after(async () => {
      await browser?.close();
      await sender?.close();
      await killAll();
      await redis?.stop();
      rmSync(profile, { recursive: true, force: true });
    });

    it('gets what was kept while the browser was closed, once and in order, then the new ones', async () => {
      browser = await launchPersistentBrowser(profile);
      let page = await openPage(browser, http(0), cluster.wsUrl(0), uid);
      // Bound: the app's answer to the bindUid call.
      await waitForLog(page, 'bound', (log) => log.messages.some((m) => (m.data as { id?: number }).id === 1));
      for (const n of [1, 2]) await sender.sendToUid(uid, { n }, { keep: true });
      const seen = await waitForLog(page, 'the first kept messages', (log) => keptNumbers(log).length >= 2);
      assert.deepEqual(keptNumbers(seen), [1, 2]);
      const firstOffset = seen.messages.find((m) => m.kept)!.kept!.offset;
      await browser.close();
      browser = null;

      for (const n of [3, 4, 5]) await sender.sendToUid(uid, { n }, { keep: true });
      sender.sendToUid(uid, { n: 'ordinary, not kept' });

      browser = await launchPersistentBrowser(profile);
      page = await openPage(browser, http(0), cluster.wsUrl(back), uid);
      await waitForLog(page, 'the replay', (log) => log.events.some((e) => e.type === 'recovered'));
      await sender.sendToUid(uid, { n: 6 }, { keep: true });
      const log = await waitForLog(page, 'the live kept message', (l) => keptNumbers(l).includes(6));
      // Give a duplicate time to show up.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const final = await logOf(page);
      assert.deepEqual(keptNumbers(final), [3, 4, 5, 6]);
      assert.deepEqual(
        final.messages.filter((m) => m.kept).map((m) => [m.kept!.stream, m.kept!.offset]),
        [3, 4, 5, 6].map((n) => [`uid:${uid}`, firstOffset + n - 1]),
      );
      assert.deepEqual(final.events, [{ type: 'recovered', stream: `uid:${uid}`, offset: firstOffset + 4 }]);
      assert.equal(log.opens, 1, 'one connection: the page was new, nothing reconnected');
    });
  });
}
