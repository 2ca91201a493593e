/**
 * The recovery engine against the real stack (built tracker.js, real WordPress route, relay, fake
 * Meta): offline, then online after a reload days later (page.clock); two tabs never send the
 * same event; the events route down for a while; a page served from a cache with a stale nonce.
 */
import { expect, test } from '@playwright/test';
import { login } from '../support/admin';
import { readStack, waitFor } from '../support/stack';
import { flush, receivedByMeta, routeWordPressPage, storedQueue, track, trackerReady, watchEventsRoute } from '../fixtures/tracker/page';

test('offline, then online after a reload days later: conversions and funnel steps arrive, expired page views do not', async ({ context, page }) => {
  const stack = readStack();
  const route = await watchEventsRoute(context);
  await page.clock.install({ time: Date.now() });
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/`);
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);

  await context.setOffline(true);
  const lead = await track(page, 'lead', { email: 'offline.e2e@example.com' });
  const cart = await track(page, 'add_to_cart', { items: [{ id: 'SKU-7', quantity: 1 }] });
  const view = await track(page, 'page_view');
  await page.clock.runFor(10_000);
  expect((await storedQueue(page)).map((e) => e.event_id)).toEqual([lead, cart, view]);
  expect(route.requests).toEqual([]);

  // Two days pass with the browser closed to the network; the visitor comes back.
  await page.clock.fastForward('48:00:00');
  await context.setOffline(false);
  await page.reload();
  await trackerReady(page);
  // Going online makes the old page send at once, racing the reload: when the reload wins, that
  // request outlives its page (keepalive) and nobody reads its answer, so the events stay queued,
  // marked in flight for IN_FLIGHT_MS (30 s), and the new page sends them again after that (the
  // event id makes the second copy a duplicate downstream). Either way the conversions arrive,
  // and the page view, past its 1-day retention, is never sent.
  await expect.poll(() => new Set(route.ids())).toEqual(new Set([lead, cart]));
  await page.clock.fastForward(31_000);
  await flush(page);
  await expect.poll(() => storedQueue(page)).toEqual([]);
  expect(new Set(route.ids())).toEqual(new Set([lead, cart]));
  await waitFor('the lead at the fake Meta server', async () => ((await receivedByMeta(stack)).some((e) => e.event_id === lead) ? true : undefined), 45_000);
});

for (const webLocks of [true, false]) {
  test(`two tabs never send the same event (${webLocks ? 'Web Locks' : 'localStorage lease fallback'})`, async ({ context }) => {
    const stack = readStack();
    if (!webLocks) await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
    const route = await watchEventsRoute(context);
    route.down(); // events pile up in the shared queue first
    const [a, b] = [await context.newPage(), await context.newPage()];
    for (const p of [a, b]) {
      await routeWordPressPage(p, `${stack.wpUrl}/layersync-demo/`);
      await p.goto(`${stack.wpUrl}/layersync-demo/`);
      await trackerReady(p);
    }
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await track(a, 'lead', { email: `tab.a.${i}@example.com` }));
      ids.push(await track(b, 'lead', { email: `tab.b.${i}@example.com` }));
    }
    await expect.poll(async () => (await storedQueue(a)).length).toBe(12);
    route.up();
    // Both tabs race for the queue, several times over.
    await Promise.all([flush(a), flush(b), flush(a), flush(b)]);
    await expect.poll(() => storedQueue(a)).toEqual([]);
    await a.waitForTimeout(1500);
    const sent = route.ids();
    expect([...sent].sort()).toEqual([...ids].sort());
    expect(new Set(sent).size).toBe(sent.length); // no event id posted twice
    // Downstream: each lead reaches Meta exactly once.
    await waitFor('all leads at the fake Meta server', async () => {
      const got = (await receivedByMeta(stack)).filter((e) => ids.includes(e.event_id));
      return got.length >= ids.length ? got : undefined;
    }, 60_000);
    await a.waitForTimeout(2000);
    const counts = new Map<string, number>();
    for (const e of (await receivedByMeta(stack)).filter((x) => ids.includes(x.event_id))) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
}

test('the events route down for a while: the browser keeps the events and resends them once it is back', async ({ context, page }) => {
  const stack = readStack();
  const route = await watchEventsRoute(context);
  route.down();
  let refused = 0;
  page.on('response', (r) => {
    if (r.url().includes('/layersync/v1/events') && r.status() === 503) refused++;
  });
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/`);
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);
  const lead = await track(page, 'lead', { email: 'route.down@example.com' });
  await expect.poll(() => refused).toBeGreaterThan(0);
  await page.waitForTimeout(2500); // a backoff step or two
  expect((await storedQueue(page)).map((e) => e.event_id)).toEqual([lead]);
  route.up();
  await expect.poll(() => route.ids(), { timeout: 30_000 }).toEqual([lead]); // the next backoff step delivers it
  await expect.poll(() => storedQueue(page)).toEqual([]);
  await waitFor('the lead at the fake Meta server', async () => ((await receivedByMeta(stack)).some((e) => e.event_id === lead) ? true : undefined), 45_000);
});

test('a page served from a full-page cache with a stale nonce still tracks (no nonce needed), even for a logged-in visitor', async ({ page }) => {
  const stack = readStack();
  // Log in: the browser now sends WordPress auth cookies with every request.
  await login(page, stack.wpUrl);

  // A copy of the page as a cache would serve it days later: a stale REST nonce baked in.
  const cached = await (await fetch(`${stack.wpUrl}/layersync-demo/`)).text();
  const stale = `<script>var wpApiSettings = {"root":"${stack.wpUrl}/wp-json/","nonce":"0a1b2c3d4e"};</script>`;
  await page.route(`${stack.wpUrl}/layersync-demo/`, (r) =>
    r.fulfill({ status: 200, contentType: 'text/html; charset=UTF-8', headers: { 'cache-control': 'public, max-age=604800', age: '259200' }, body: cached.replace('</head>', `${stale}</head>`) }),
  );
  const answers: number[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/layersync/v1/events')) answers.push(r.status());
  });
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);
  const lead = await track(page, 'lead', { email: 'cached.page@example.com' });
  // The cached copy is the plugin's page as printed (automatic page_view on): every request taken.
  await expect.poll(() => storedQueue(page)).toEqual([]);
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.filter((s) => s !== 202)).toEqual([]);
  await waitFor('the lead at the fake Meta server', async () => ((await receivedByMeta(stack)).some((e) => e.event_id === lead) ? true : undefined), 45_000);
});
