/**
 * Consent with real CMP libraries on a real WordPress page, in default-denied mode: nothing is
 * stored or sent before consent; consent given in the banner releases the events (with the
 * consent given) and loads the pixel; revocation stops the pixel and the sending.
 * - vanilla-cookieconsent, wired to Google Consent Mode v2 the way its docs show (gtag consent
 *   default/update in dataLayer), which the tracker reads;
 * - IAB TCF v2.2 through the real @iabtcf/cmpapi (+ @iabtcf/core for the TC strings).
 */
import path from 'node:path';
import { build } from 'esbuild';
import { expect, test } from '@playwright/test';
import { ROOT, readStack, waitFor } from '../support/stack';
import { FIXTURES, getConsent, receivedByMeta, routeWordPressPage, serveStatic, storedQueue, track, trackerReady, watchEventsRoute } from '../fixtures/tracker/page';
import { dedupParam, stubPixels } from '../fixtures/tracker/pixel-stubs';

const CC = path.join(ROOT, 'node_modules/vanilla-cookieconsent/dist');
const DENIED = { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false };

/** vanilla-cookieconsent in the head, mapping its categories to Consent Mode v2 (its documented recipe). */
const COOKIECONSENT_HEAD = `
<link rel="stylesheet" href="/__fixtures/cookieconsent.css">
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){ dataLayer.push(arguments); }
  gtag('consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' });
</script>
<script src="/__fixtures/cookieconsent.umd.js"></script>
<script>
  function layersyncConsent() {
    var ads = CookieConsent.acceptedCategory('ads') ? 'granted' : 'denied';
    gtag('consent', 'update', {
      analytics_storage: CookieConsent.acceptedCategory('analytics') ? 'granted' : 'denied',
      ad_storage: ads, ad_user_data: ads, ad_personalization: ads
    });
  }
  window.addEventListener('DOMContentLoaded', function () {
    CookieConsent.run({
      hideFromBots: false, // it hides itself from automated browsers otherwise
      categories: { necessary: { enabled: true, readOnly: true }, analytics: {}, ads: {} },
      onConsent: layersyncConsent,
      onChange: layersyncConsent,
      language: { default: 'en', translations: { en: {
        consentModal: { title: 'Cookies', description: 'We use cookies.', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all' },
        preferencesModal: { title: 'Preferences', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', savePreferencesBtn: 'Save', sections: [] }
      } } }
    });
  });
</script>`;

test('vanilla-cookieconsent: denied → granted → revoked', async ({ context, page }) => {
  const stack = readStack();
  await serveStatic(context, '**/__fixtures/cookieconsent.umd.js', path.join(CC, 'cookieconsent.umd.js'));
  await serveStatic(context, '**/__fixtures/cookieconsent.css', path.join(CC, 'cookieconsent.css'), 'text/css');
  const pixels = await stubPixels(context);
  const route = await watchEventsRoute(context);
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/`, {
    head: COOKIECONSENT_HEAD,
    config: { require_consent: true, consent: DENIED, pixels: { meta: { id: '1234567890123456' } } },
  });
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);

  // Denied: the event waits in memory; nothing stored, sent, or loaded.
  const lead = await track(page, 'lead', { email: 'consent.e2e@example.com' });
  await page.waitForTimeout(1000);
  expect(await getConsent(page)).toEqual(DENIED);
  expect(route.requests).toEqual([]);
  expect(await storedQueue(page)).toEqual([]);
  expect(await page.evaluate(() => document.cookie)).not.toContain('_fbp=');
  expect(pixels.scripts).toEqual([]);

  // Granted in the banner: the held lead goes out with the consent given, the pixel loads with its id.
  await page.getByRole('button', { name: 'Accept all' }).first().click();
  await expect.poll(() => route.ids()).toEqual([lead]);
  expect(route.events()[0]!.consent).toEqual({ ...DENIED, ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
  expect(route.events()[0]!.identity!.fbp).toMatch(/^fb\.\d\.\d{13}\.\d+$/);
  await expect.poll(() => pixels.calls.filter((c) => dedupParam(c) === lead).length).toBe(1);
  await waitFor('the lead at the fake Meta server', async () => ((await receivedByMeta(stack)).some((e) => e.event_id === lead) ? true : undefined), 45_000);

  // Revoked: the pixel is told and gets nothing more; new events are neither stored nor sent.
  await page.evaluate(() => (window as unknown as { CookieConsent: { acceptCategory(c: string[]): void } }).CookieConsent.acceptCategory([]));
  await expect.poll(() => getConsent(page)).toEqual(DENIED);
  await expect.poll(() => pixels.calls.some((c) => c.platform === 'meta' && c.args[0] === 'consent' && c.args[1] === 'revoke')).toBe(true);
  const after = await track(page, 'lead', { email: 'consent.e2e@example.com' });
  await page.waitForTimeout(1500);
  expect(route.ids()).not.toContain(after);
  expect(pixels.calls.some((c) => dedupParam(c) === after)).toBe(false);
  expect(await storedQueue(page)).toEqual([]);
  expect(await page.evaluate(() => document.cookie)).not.toContain('_fbp=');
});

test('IAB TCF v2.2 (real @iabtcf/cmpapi): purposes decide the four signals', async ({ context, page }) => {
  const stack = readStack();
  const bundle = await build({ entryPoints: [path.join(FIXTURES, 'tcf-cmp.ts')], bundle: true, format: 'iife', target: 'es2019', write: false, logLevel: 'error' });
  await serveStatic(context, '**/__fixtures/tcf-cmp.js', bundle.outputFiles[0]!.text);
  const route = await watchEventsRoute(context);
  await routeWordPressPage(page, `${stack.wpUrl}/layersync-demo/`, {
    head: '<script src="/__fixtures/tcf-cmp.js"></script>',
    config: { require_consent: true, consent: DENIED },
  });
  await page.goto(`${stack.wpUrl}/layersync-demo/`);
  await trackerReady(page);

  const before = await track(page, 'add_to_cart', { items: [{ id: 'SKU-1' }] });
  await page.waitForTimeout(800);
  expect(route.requests).toEqual([]); // the CMP UI is up: nothing decided, nothing sent

  // Storage, measurement and ad measurement, but no personalization (purposes 3 and 4 refused).
  await page.evaluate(() => (window as unknown as { __cmp: { decide(p: number[]): void } }).__cmp.decide([1, 7, 8]));
  await expect.poll(() => route.ids()).toEqual([before]);
  expect(route.events()[0]!.consent).toEqual({ ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied', do_not_sell: false });

  // Everything refused later: no purpose 1, nothing may be stored or sent any more.
  await page.evaluate(() => (window as unknown as { __cmp: { decide(p: number[]): void } }).__cmp.decide([]));
  await expect.poll(() => getConsent(page)).toEqual(DENIED);
  const after = await track(page, 'add_to_cart', { items: [{ id: 'SKU-2' }] });
  await page.waitForTimeout(1500);
  expect(route.ids()).not.toContain(after);
  expect(await storedQueue(page)).toEqual([]);
});
