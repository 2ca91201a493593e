/**
 * Destinations I, end to end through the relay: one purchase ingested over signed HTTP reaches
 * the Meta, GA4, Google Ads and TikTok fakes (each validating like its platform), and the
 * outcome rows are visible; then a revoked TikTok token parks only TikTok while the other three
 * keep delivering. Real server, real SQLite file, real HTTP to the four fakes.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { destinations } from '../../src/destinations/registry.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { uuidv7 } from '../../src/util/uuidv7.js';
import { inProcessCli, inProcessConfig, openDb, postEvents, SECRET, SITE, tempDir, waitFor } from '../fault/support.js';
import { startFakeGa4, type FakeGa4 } from '../fakes/ga4-server.js';
import { FAKE_GOOGLE_ADS, startFakeGoogleAds, type FakeGoogleAds } from '../fakes/google-ads-server.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN, startFakeMeta, type FakeMeta } from '../fakes/meta-server.js';
import { FAKE_TIKTOK_PIXEL, FAKE_TIKTOK_TOKEN, startFakeTiktok, type FakeTiktok } from '../fakes/tiktok-server.js';
import { outcomes as ledgerOutcomes } from './support.js';

const GA4_ID = 'G-FAKE12345';
const GA4_SECRET = 'ga4-api-secret-0123456789';
const H = (s: string) => s.padEnd(64, '0').slice(0, 64);

function purchase(orderId: string) {
  return {
    event_id: uuidv7(),
    event_name: 'purchase',
    event_time: Math.floor(Date.now() / 1000) - 60,
    source: 'server',
    context: { url: 'https://shop.example.com/checkout/order-received/', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', ip: '203.0.113.7' },
    identity: {
      em: H('aa'),
      em_google: H('ab'),
      ph: H('bb'),
      ph_e164: H('bc'),
      external_id: H('cc'),
      gclid: 'Cj0KCQiA-fakeclick',
      ttclid: 'E.C.P.fake-ttclid',
      ga_client_id: '1234567890.1700000000',
      fbp: 'fb.1.1700000000000.123456789',
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: false },
    commerce: { order_id: orderId, value: 59.9, currency: 'EUR', items: [{ id: 'SKU-1', name: 'Mug', price: 29.95, quantity: 2 }] },
  };
}

describe('a purchase through the relay to Meta, GA4, Google Ads and TikTok', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let meta: FakeMeta;
  let ga4: FakeGa4;
  let ads: FakeGoogleAds;
  let tiktok: FakeTiktok;
  let server: RunningServer | undefined;

  const outcomes = (eventId: string): Record<string, string> => ledgerOutcomes(dbPath, eventId);
  const parked = (): Record<string, boolean> => {
    const db = openDb(dbPath);
    try {
      const rows = db.prepare<[], { slug: string; parked_at: number | null }>('SELECT slug, parked_at FROM destinations').all();
      return Object.fromEntries(rows.map((r) => [r.slug, r.parked_at !== null]));
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    t = tempDir('layersync-four-');
    dbPath = path.join(t.dir, 'relay.sqlite');
    [meta, ga4, ads, tiktok] = await Promise.all([
      startFakeMeta({ pixels: [FAKE_META_PIXEL_ID] }),
      startFakeGa4({ measurementIds: [GA4_ID], apiSecrets: [GA4_SECRET] }),
      startFakeGoogleAds(),
      startFakeTiktok(),
    ]);
    await inProcessCli(dbPath, ['sites', 'add', '--id', SITE, '--secret', SECRET]);
    await inProcessCli(dbPath, ['connect', 'meta', '--site', SITE, '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN]);
    await inProcessCli(dbPath, ['connect', 'ga4', '--site', SITE, '--measurement-id', GA4_ID, '--api-secret', GA4_SECRET]);
    await inProcessCli(dbPath, [
      'connect', 'google-ads', '--site', SITE,
      '--customer-id', FAKE_GOOGLE_ADS.customerId,
      '--client-id', FAKE_GOOGLE_ADS.clientId,
      '--client-secret', FAKE_GOOGLE_ADS.clientSecret,
      '--refresh-token', FAKE_GOOGLE_ADS.refreshToken,
      '--conversion-actions', JSON.stringify({ purchase: FAKE_GOOGLE_ADS.purchaseActionId }),
    ]);
    await inProcessCli(dbPath, ['connect', 'tiktok', '--site', SITE, '--pixel-code', FAKE_TIKTOK_PIXEL, '--token', FAKE_TIKTOK_TOKEN]);
    const config = inProcessConfig(dbPath, {
      LAYERSYNC_META_BASE_URL: meta.url,
      LAYERSYNC_GA4_BASE_URL: ga4.url,
      LAYERSYNC_GOOGLE_ADS_BASE_URL: ads.url,
      LAYERSYNC_TIKTOK_BASE_URL: tiktok.url,
    });
    server = await startServer(config, { registry: destinations });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await Promise.all([meta.close(), ga4.close(), ads.close(), tiktok.close()]);
    t.cleanup();
  });

  it('delivers one purchase to all four, visible per destination; a revoked token parks only that platform', async () => {
    const first = purchase('1001');
    expect((await postEvents(server!.url, [first])).status).toBe(202);
    await waitFor('four deliveries', () => Object.values(outcomes(first.event_id)).filter((s) => s === 'delivered').length === 4, 15_000);
    expect(outcomes(first.event_id)).toEqual({ meta: 'delivered', ga4: 'delivered', google_ads: 'delivered', tiktok: 'delivered' });

    // Each fake accepted the event in its own shape, keyed by our ids.
    expect(meta.received.flatMap((r) => (r.body as { data: Array<{ event_id: string; event_name: string }> }).data)).toContainEqual(
      expect.objectContaining({ event_id: first.event_id, event_name: 'Purchase' }),
    );
    // GA4's collect endpoint answers 2xx even for invalid payloads: the fake records what it would drop.
    expect(ga4.rejected).toEqual([]);
    expect(ga4.recordedEvents).toContainEqual(expect.objectContaining({ name: 'purchase', params: expect.objectContaining({ transaction_id: '1001' }) }));
    expect(JSON.stringify(ads.received.map((r) => r.body))).toContain('"1001"');
    expect(tiktok.received.flatMap((r) => (r.body as { data: Array<{ event_id: string; event: string }> }).data)).toContainEqual(
      expect.objectContaining({ event_id: first.event_id, event: 'Purchase' }),
    );

    // The merchant's TikTok token is revoked: TikTok parks, the other three keep flowing.
    await inProcessCli(dbPath, ['connect', 'tiktok', '--site', SITE, '--pixel-code', FAKE_TIKTOK_PIXEL, '--token', 'revoked-token-0123456789abcdef']);
    const second = purchase('1002');
    expect((await postEvents(server!.url, [second])).status).toBe(202);
    await waitFor(
      'three delivered and TikTok refused',
      () => {
        const o = outcomes(second.event_id);
        return o.meta === 'delivered' && o.ga4 === 'delivered' && o.google_ads === 'delivered' && o.tiktok === 'failed';
      },
      15_000,
    );
    expect(parked()).toEqual({ meta: false, ga4: false, google_ads: false, tiktok: true });
    expect(JSON.stringify(ads.received.map((r) => r.body))).toContain('"1002"');
  });
});
