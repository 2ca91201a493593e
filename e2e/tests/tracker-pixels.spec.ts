/**
 * Browser pixels against the real stack: the built tracker on a real WordPress page loads each
 * enabled platform's pixel (CDN requests answered by local stubs), and every pixel call carries
 * the same event id as the server copy (WordPress route → relay → fake Meta) in that platform's
 * own dedup parameter. The thank-you page's purchase uses the order's id from the config and is
 * never posted to the events route.
 */
import { expect, test } from '@playwright/test';
import { readStack, waitFor } from '../support/stack';
import { receivedByMeta, routeWordPressPage, track, trackerReady, watchEventsRoute } from '../fixtures/tracker/page';
import { type Platform, dedupParam, stubPixels } from '../fixtures/tracker/pixel-stubs';

const PIXELS = {
  meta: { id: '1234567890123456' },
  google: { ids: ['G-E2ETEST1', 'AW-123456789'], conversions: { lead: 'AW-123456789/leadLabel', purchase: 'AW-123456789/buyLabel' } },
  tiktok: { id: 'CE2ETIKTOK' },
  pinterest: { id: '2612345678901' },
  snapchat: { id: '11111111-2222-3333-4444-555555555555' },
  linkedin: { id: '5551234', conversions: { lead: 1001, purchase: 1002 } },
  reddit: { id: 'a2_e2etest' },
  x: { id: 'o8z6j', events: { lead: 'tw-o8z6j-lead1', purchase: 'tw-o8z6j-buy01' } },
};
const ALL: Platform[] = ['meta', 'google', 'tiktok', 'pinterest', 'snapchat', 'linkedin', 'reddit', 'x'];

test('every pixel gets the server copy’s event id in its own dedup parameter; nothing leaves the machine', async ({ context, page }) => {
  const stack = readStack();
  const outside: string[] = [];
  // Registered first, so every more specific route below takes precedence over it.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  const pixels = await stubPixels(context);
  const route = await watchEventsRoute(context);
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/`, { config: { pixels: PIXELS } });
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);

  const id = await track(page, 'lead', { email: 'pixel.test@example.com' });
  await expect.poll(() => route.ids()).toContain(id);
  // The chunk next to tracker.js, then each platform's CDN.
  await expect.poll(() => pixels.scripts.length).toBe(8);
  await expect
    .poll(() => ALL.filter((p) => pixels.calls.some((c) => c.platform === p && dedupParam(c) === id)).sort())
    .toEqual([...ALL].sort());
  // Google: the GA4 event and the Ads conversion both carry it.
  expect(pixels.calls.filter((c) => c.platform === 'google' && dedupParam(c) === id).map((c) => c.args[1])).toEqual(['generate_lead', 'conversion']);
  expect(pixels.calls.find((c) => c.platform === 'meta' && c.args[0] === 'track')!.args.slice(0, 2)).toEqual(['track', 'Lead']);

  // The server copy, delivered through the relay, has the same id.
  const server = await waitFor('the lead at the fake Meta server', async () => {
    const mine = (await receivedByMeta(stack)).filter((e) => e.event_id === id);
    return mine.length ? mine : undefined;
  }, 45_000);
  expect(server.map((e) => e.event_name)).toEqual(['Lead']);
  expect(outside).toEqual([]);
});

test('the thank-you page fires the purchase pixels with the order’s deterministic id, once, and never posts it to the route', async ({ context, page }) => {
  const stack = readStack();
  const pixels = await stubPixels(context);
  const route = await watchEventsRoute(context);
  const purchase = { event_id: 'wc_order_5001_purchase', order_id: '5001', value: 49.9, currency: 'EUR', items: [{ id: 'SKU-1', name: 'Mug', price: 24.95, quantity: 2 }] };
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/**`, { config: { pixels: PIXELS, purchase } });
  await page.goto(`${stack.wpUrl}/layersync-demo/?order-received=5001`);
  await trackerReady(page);
  await expect
    .poll(() => ALL.filter((p) => pixels.calls.some((c) => c.platform === p && dedupParam(c) === purchase.event_id)).sort())
    .toEqual([...ALL].sort());
  const meta = pixels.calls.find((c) => c.platform === 'meta' && c.args[0] === 'track')!;
  expect(meta.args).toEqual(['track', 'Purchase', expect.objectContaining({ value: 49.9, currency: 'EUR', order_id: '5001', num_items: 2 }), { eventID: purchase.event_id }]);
  // Google GA4 deduplicates purchases on transaction_id = the order id.
  expect(pixels.calls.find((c) => c.platform === 'google' && c.args[1] === 'purchase')!.args[2]).toMatchObject({ transaction_id: '5001', event_id: purchase.event_id });

  // Revisited: the same order's pixels are not fired again.
  const before = pixels.calls.length;
  await page.reload();
  await trackerReady(page);
  await page.waitForTimeout(1500);
  expect(pixels.calls.slice(before).filter((c) => dedupParam(c) === purchase.event_id)).toEqual([]);
  expect(route.events().map((e) => e.event_name)).not.toContain('purchase');
});
