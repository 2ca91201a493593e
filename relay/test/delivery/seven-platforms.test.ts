/**
 * Destinations II, end to end through the relay: one purchase with a full identity, ingested over
 * signed HTTP, stored in a real SQLite file and sent by the delivery worker, reaches the Pinterest,
 * Snapchat, LinkedIn, Reddit, X, Klaviyo and signed-webhook fakes (each validating like its
 * platform) exactly once, each in its own shape; the ledger says `delivered` for all seven; and a
 * resend of the purchase (same event_id) or a second report of the same order (new event_id)
 * reaches none of them again.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinations } from '../../src/destinations/registry.js';
import { webhookId } from '../../src/destinations/webhook/api.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { signRequest } from '../../src/sign.js';
import { uuidv7 } from '../../src/util/uuidv7.js';
import type { Received } from '../fakes/base.js';
import { FAKE_KLAVIYO_KEY, startFakeKlaviyo, type FakeKlaviyo } from '../fakes/klaviyo-server.js';
import { FAKE_LINKEDIN_RULES, FAKE_LINKEDIN_TOKEN, startFakeLinkedin, type FakeLinkedin } from '../fakes/linkedin-server.js';
import { FAKE_PINTEREST_AD_ACCOUNT, FAKE_PINTEREST_TOKEN, startFakePinterest, type FakePinterest } from '../fakes/pinterest-server.js';
import { FAKE_REDDIT_PIXEL_ID, FAKE_REDDIT_TOKEN, startFakeReddit, type FakeReddit } from '../fakes/reddit-server.js';
import { FAKE_SNAP_PIXEL_ID, FAKE_SNAP_TOKEN, startFakeSnapchat, type FakeSnapchat } from '../fakes/snapchat-server.js';
import { FAKE_WEBHOOK_SECRET, startFakeWebhookReceiver, type FakeWebhookReceiver } from '../fakes/webhook-server.js';
import { FAKE_X_CREDENTIALS, FAKE_X_EVENT_IDS, FAKE_X_PIXEL_ID, startFakeX, type FakeX } from '../fakes/x-server.js';
import { inProcessCli, inProcessConfig, openDb, SECRET, SITE, sleep, tempDir, waitFor } from '../fault/support.js';
import { ledger, outcomes } from './support.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

// The shopper as the store knows her, and what the sender (plugin / SDK) hashes per docs/CONTRACT.md.
const RAW_EMAIL = 'Jane.Doe+shop@gmail.com';
const RAW_PHONE = '+33 6 12 34 56 78';
const RAW_CUSTOMER_ID = 'customer-4711';
const EM = sha256('jane.doe+shop@gmail.com');
const EM_GOOGLE = sha256('janedoe@gmail.com');
const EM_REDDIT = sha256('janedoe@gmail.com');
const PH = sha256('33612345678');
const PH_E164 = sha256('+33612345678');
const FN = sha256('jane');
const LN = sha256('doe');
const COUNTRY = sha256('fr');
const EXTERNAL_ID = sha256(RAW_CUSTOMER_ID);
/** Raw forms of the shopper's PII that must never leave the relay (compared lower-cased). */
const RAW_PII = [RAW_EMAIL, 'jane.doe+shop@gmail.com', 'janedoe@gmail.com', RAW_PHONE, '+33612345678', '33612345678', '0612345678', RAW_CUSTOMER_ID];

const CLICK = {
  epik: 'dj0yJnU9Q2xpY2tFcGlrRmFrZTAxJm49',
  scid: 'a6f2c1e0-5b7d-4c3a-9e8f-0123456789ab',
  sc_cookie1: 'c4d5e6f7-1a2b-4c3d-8e9f-abcdef012345',
  li_fat_id: '5e7b1c2d-9a8f-4e3d-b2c1-0f9e8d7c6b5a',
  rdt_cid: '2218473016358294756_rdtfakeclick',
  rdt_uuid: '1700000000000.b8f7eb7d-b357-437b-8bd3-e1c8166c7132',
  twclid: '26b3pqzy9x1fakeTwclid',
} as const;

const URL_ = 'https://shop.example.com/checkout/order-received/1001/';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IP = '203.0.113.7';
const ORDER_ID = '1001';
const VALUE = 59.9;
const CURRENCY = 'EUR';
const LINKEDIN_RULE = FAKE_LINKEDIN_RULES[0]!;
const X_EVENT_ID = FAKE_X_EVENT_IDS[0]!;

function purchase(eventId = uuidv7()) {
  return {
    event_id: eventId,
    event_name: 'purchase',
    event_time: Math.floor(Date.now() / 1000) - 60,
    source: 'server',
    context: { url: URL_, user_agent: UA, ip: IP, locale: 'fr-FR' },
    identity: {
      em: EM,
      em_google: EM_GOOGLE,
      em_reddit: EM_REDDIT,
      ph: PH,
      ph_e164: PH_E164,
      fn: FN,
      ln: LN,
      country: COUNTRY,
      external_id: EXTERNAL_ID,
      ...CLICK,
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: false },
    commerce: {
      order_id: ORDER_ID,
      value: VALUE,
      currency: CURRENCY,
      items: [
        { id: 'SKU-MUG-1', name: 'Stoneware mug', price: 19.95, quantity: 2, category: 'Kitchen', brand: 'Acme' },
        { id: 'SKU-TEA-7', name: 'Earl Grey 250 g', price: 20, quantity: 1, category: 'Tea', brand: 'Acme' },
      ],
    },
  };
}

/** A signed POST /v1/events; the relay's answer per event. */
async function ingest(url: string, events: unknown[]): Promise<{ status: number; results: Array<{ event_id: string | null; status: string; reason?: string }> }> {
  const body = JSON.stringify({ events });
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: signRequest({ siteId: SITE, secret: SECRET, body }), body });
  const json = (await res.json()) as { results?: Array<{ event_id: string | null; status: string; reason?: string }> };
  return { status: res.status, results: json.results ?? [] };
}

/** Everything a fake saw of one request (body, query, path), lower-cased, for the raw-PII check. */
function wireText(r: Received): string {
  return JSON.stringify([r.path, r.query, r.body]).toLowerCase();
}

type Obj = Record<string, unknown>;

describe('a purchase through the relay to Pinterest, Snapchat, LinkedIn, Reddit, X, Klaviyo and a signed webhook', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let pinterest: FakePinterest;
  let snapchat: FakeSnapchat;
  let linkedin: FakeLinkedin;
  let reddit: FakeReddit;
  let x: FakeX;
  let klaviyo: FakeKlaviyo;
  let webhook: FakeWebhookReceiver;
  let server: RunningServer | undefined;
  const first = purchase();

  /** Every request each fake answered (accepted or not), by destination slug. */
  const requestsBySlug = (): Record<string, Received[]> => ({
    pinterest: pinterest.requests,
    snapchat: snapchat.requests,
    linkedin: linkedin.requests,
    reddit: reddit.requests,
    x: x.requests,
    klaviyo: klaviyo.requests,
    webhook: webhook.requests,
  });
  const SLUGS = ['pinterest', 'snapchat', 'linkedin', 'reddit', 'x', 'klaviyo', 'webhook'];

  beforeAll(async () => {
    t = tempDir('layersync-seven-');
    dbPath = path.join(t.dir, 'relay.sqlite');
    [pinterest, snapchat, linkedin, reddit, x, klaviyo, webhook] = await Promise.all([
      startFakePinterest({ adAccounts: [FAKE_PINTEREST_AD_ACCOUNT] }),
      startFakeSnapchat({ pixels: [FAKE_SNAP_PIXEL_ID] }),
      startFakeLinkedin(),
      startFakeReddit({ pixels: [FAKE_REDDIT_PIXEL_ID] }),
      startFakeX(),
      startFakeKlaviyo(),
      startFakeWebhookReceiver(),
    ]);
    await inProcessCli(dbPath, ['sites', 'add', '--id', SITE, '--secret', SECRET]);
    await inProcessCli(dbPath, ['connect', 'pinterest', '--site', SITE, '--ad-account-id', FAKE_PINTEREST_AD_ACCOUNT, '--access-token', FAKE_PINTEREST_TOKEN]);
    await inProcessCli(dbPath, ['connect', 'snapchat', '--site', SITE, '--pixel-id', FAKE_SNAP_PIXEL_ID, '--access-token', FAKE_SNAP_TOKEN]);
    await inProcessCli(dbPath, [
      'connect', 'linkedin', '--site', SITE,
      '--access-token', FAKE_LINKEDIN_TOKEN,
      '--conversion-rules', JSON.stringify({ purchase: `urn:lla:llaPartnerConversion:${LINKEDIN_RULE}` }),
    ]);
    await inProcessCli(dbPath, ['connect', 'reddit', '--site', SITE, '--pixel-id', FAKE_REDDIT_PIXEL_ID, '--access-token', FAKE_REDDIT_TOKEN]);
    await inProcessCli(dbPath, [
      'connect', 'x', '--site', SITE,
      '--consumer-key', FAKE_X_CREDENTIALS.consumer_key,
      '--consumer-secret', FAKE_X_CREDENTIALS.consumer_secret,
      '--access-token', FAKE_X_CREDENTIALS.access_token,
      '--access-token-secret', FAKE_X_CREDENTIALS.access_token_secret,
      '--pixel-id', FAKE_X_PIXEL_ID,
      '--event-ids', JSON.stringify({ purchase: X_EVENT_ID }),
    ]);
    await inProcessCli(dbPath, ['connect', 'klaviyo', '--site', SITE, '--private-api-key', FAKE_KLAVIYO_KEY]);
    await inProcessCli(dbPath, ['connect', 'webhook', '--site', SITE, '--url', webhook.endpoint, '--secret', FAKE_WEBHOOK_SECRET]);
    const config = inProcessConfig(dbPath, {
      LAYERSYNC_PINTEREST_BASE_URL: pinterest.url,
      LAYERSYNC_SNAPCHAT_BASE_URL: snapchat.url,
      LAYERSYNC_LINKEDIN_BASE_URL: linkedin.url,
      LAYERSYNC_REDDIT_BASE_URL: reddit.url,
      LAYERSYNC_X_BASE_URL: x.url,
      LAYERSYNC_KLAVIYO_BASE_URL: klaviyo.url,
      // The webhook connection's own URL already points at its fake.
    });
    server = await startServer(config, { registry: destinations });

    const res = await ingest(server.url, [first]);
    expect(res).toEqual({ status: 202, results: [expect.objectContaining({ event_id: first.event_id, status: 'accepted' })] });
    await waitFor(
      'seven settled deliveries',
      () => {
        const o = outcomes(dbPath, first.event_id);
        return Object.keys(o).length === 7 && Object.values(o).every((s) => s !== 'pending' && s !== 'retry');
      },
      15_000,
    );
  });

  afterAll(async () => {
    await server?.close();
    server = undefined;
    await Promise.all([pinterest, snapchat, linkedin, reddit, x, klaviyo, webhook].map((f) => f?.close()));
    t?.cleanup();
  });

  it('the ledger says delivered for all seven, each in one attempt answered 2xx', () => {
    const rows = ledger(dbPath, first.event_id);
    expect(Object.keys(rows).sort()).toEqual([...SLUGS].sort());
    for (const slug of SLUGS) {
      expect(rows[slug], slug).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(rows[slug]!.last_status, slug).toBeGreaterThanOrEqual(200);
      expect(rows[slug]!.last_status, slug).toBeLessThan(300);
    }
    expect(rows.klaviyo!.last_status).toBe(202);
  });

  it('each fake received exactly one request, accepted, carrying no raw email, phone or customer id', () => {
    for (const [slug, requests] of Object.entries(requestsBySlug())) {
      expect(requests.map((r) => r.status), slug).toHaveLength(1);
      expect(requests[0]!.status, slug).toBeGreaterThanOrEqual(200);
      expect(requests[0]!.status, slug).toBeLessThan(300);
      const wire = wireText(requests[0]!);
      for (const raw of RAW_PII) expect(wire, `${slug} must not carry ${raw}`).not.toContain(raw.toLowerCase());
    }
  });

  it('Pinterest: checkout keyed by event_id, value as a decimal string, hashes as lists', () => {
    const [req] = pinterest.requests;
    expect(req!.adAccountId).toBe(FAKE_PINTEREST_AD_ACCOUNT);
    expect(req!.test).toBe(false);
    const { data } = req!.body as { data: Obj[] };
    expect(data).toHaveLength(1);
    expect(data[0]).toStrictEqual({
      event_name: 'checkout',
      action_source: 'web',
      event_time: first.event_time,
      event_id: first.event_id,
      event_source_url: URL_,
      user_data: {
        em: [EM],
        ph: [PH],
        fn: [FN],
        ln: [LN],
        country: [COUNTRY],
        external_id: [EXTERNAL_ID],
        client_ip_address: IP,
        client_user_agent: UA,
        click_id: CLICK.epik,
      },
      custom_data: {
        currency: 'EUR',
        value: '59.90',
        order_id: ORDER_ID,
        content_ids: ['SKU-MUG-1', 'SKU-TEA-7'],
        contents: [
          { id: 'SKU-MUG-1', item_price: '19.95', quantity: 2, item_name: 'Stoneware mug', item_category: 'Kitchen', item_brand: 'Acme' },
          { id: 'SKU-TEA-7', item_price: '20.00', quantity: 1, item_name: 'Earl Grey 250 g', item_category: 'Tea', item_brand: 'Acme' },
        ],
        num_items: 3,
      },
      language: 'fr',
    });
  });

  it('Snapchat: PURCHASE keyed by event_id, value as a number, phone digits without "+", click id and cookie', () => {
    const [req] = snapchat.requests;
    expect(req!.pixelId).toBe(FAKE_SNAP_PIXEL_ID);
    expect(req!.validate).toBe(false);
    expect(req!.query.access_token).toBe(FAKE_SNAP_TOKEN);
    const { data } = req!.body as { data: Obj[] };
    expect(data).toHaveLength(1);
    expect(data[0]).toStrictEqual({
      event_name: 'PURCHASE',
      event_time: first.event_time,
      action_source: 'WEB',
      event_id: first.event_id,
      event_source_url: URL_,
      user_data: {
        em: [EM],
        ph: [PH],
        fn: [FN],
        ln: [LN],
        country: [COUNTRY],
        external_id: [EXTERNAL_ID],
        client_ip_address: IP,
        client_user_agent: UA,
        sc_click_id: CLICK.scid,
        sc_cookie1: CLICK.sc_cookie1,
      },
      custom_data: {
        currency: 'EUR',
        value: VALUE,
        order_id: ORDER_ID,
        content_ids: ['SKU-MUG-1', 'SKU-TEA-7'],
        contents: [
          { id: 'SKU-MUG-1', quantity: '2', item_price: '19.95' },
          { id: 'SKU-TEA-7', quantity: '1', item_price: '20' },
        ],
        num_items: 3,
      },
    });
  });

  it('LinkedIn: one batch element on the purchase rule, eventId, amount as a string, milliseconds, SHA256_EMAIL and li_fat_id', () => {
    const [req] = linkedin.requests;
    expect(req!.kind).toBe('batch');
    expect(req!.headers['x-restli-method']).toBe('BATCH_CREATE');
    const { elements } = req!.body as { elements: Obj[] };
    expect(elements).toStrictEqual([
      {
        conversion: `urn:lla:llaPartnerConversion:${LINKEDIN_RULE}`,
        conversionHappenedAt: first.event_time * 1000,
        eventId: first.event_id,
        user: {
          userIds: [
            { idType: 'SHA256_EMAIL', idValue: EM },
            { idType: 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', idValue: CLICK.li_fat_id },
          ],
        },
        conversionValue: { currencyCode: 'EUR', amount: '59.90' },
      },
    ]);
  });

  it('Reddit: PURCHASE with conversion_id = event_id, value in major units, Reddit\'s own email and "+"-phone hashes', () => {
    const [req] = reddit.requests;
    expect(req!.pixelId).toBe(FAKE_REDDIT_PIXEL_ID);
    const body = req!.body as { data: { events: Obj[]; test_id?: string } };
    expect(body.data.test_id).toBeUndefined();
    expect(body.data.events).toStrictEqual([
      {
        event_at: first.event_time * 1000,
        action_source: 'WEBSITE',
        type: { tracking_type: 'PURCHASE' },
        metadata: {
          conversion_id: first.event_id,
          currency: 'EUR',
          value: VALUE,
          item_count: 3,
          products: [
            { id: 'SKU-MUG-1', name: 'Stoneware mug', category: 'Kitchen', quantity: 2, item_price: 19.95 },
            { id: 'SKU-TEA-7', name: 'Earl Grey 250 g', category: 'Tea', quantity: 1, item_price: 20 },
          ],
        },
        event_source_url: URL_,
        click_id: CLICK.rdt_cid,
        user: {
          email: EM_REDDIT,
          phone_number: PH_E164,
          external_id: EXTERNAL_ID,
          ip_address: IP,
          user_agent: UA,
          uuid: CLICK.rdt_uuid,
        },
      },
    ]);
  });

  it('X: one signed conversion on the purchase event tag, conversion_id = event_id, value and currency, twclid, hashed email and E.164 phone', () => {
    const [req] = x.requests;
    expect(req!.kind).toBe('conversions');
    expect(req!.path).toBe(`/12/measurement/conversions/${FAKE_X_PIXEL_ID}`);
    // The fake verified the OAuth 1.0a signature with its own implementation (else: 401).
    expect(req!.oauth).toMatchObject({ oauth_consumer_key: FAKE_X_CREDENTIALS.consumer_key, oauth_token: FAKE_X_CREDENTIALS.access_token });
    const { conversions } = req!.body as { conversions: Obj[] };
    expect(conversions).toHaveLength(1);
    const c = conversions[0]!;
    expect(c).toMatchObject({
      conversion_time: new Date(first.event_time * 1000).toISOString(),
      event_id: X_EVENT_ID,
      conversion_id: first.event_id,
      value: VALUE,
      price_currency: 'EUR',
      number_items: 3,
      contents: [
        { content_id: 'SKU-MUG-1', content_name: 'Stoneware mug', content_price: 19.95, num_items: 2 },
        { content_id: 'SKU-TEA-7', content_name: 'Earl Grey 250 g', content_price: 20, num_items: 1 },
      ],
    });
    // X1: twclid raw, email and phone hashed (the phone in E.164 with its "+": the contract's ph_e164), IP + UA next to them.
    expect(c.identifiers).toStrictEqual([{ twclid: CLICK.twclid }, { hashed_email: EM }, { hashed_phone_number: PH_E164 }, { ip_address: IP, user_agent: UA }]);
  });

  it('Klaviyo: Placed Order under the hashed customer id, unique_id = event_id, value and value_currency, no email or phone', () => {
    const [req] = klaviyo.requests;
    expect(req!.status).toBe(202);
    expect(req!.duplicate).toBe(false);
    const attributes = (req!.body as { data: { type: string; attributes: Obj } }).data.attributes;
    expect((req!.body as { data: { type: string } }).data.type).toBe('event');
    expect(attributes).toMatchObject({
      metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
      time: new Date(first.event_time * 1000).toISOString(),
      value: VALUE,
      value_currency: 'EUR',
      unique_id: first.event_id,
    });
    expect(attributes.backfill).toBeUndefined();
    // Klaviyo takes raw PII, which the relay never has: the profile is the hashed customer id only.
    expect(attributes.profile).toStrictEqual({
      data: { type: 'profile', attributes: { external_id: EXTERNAL_ID, locale: 'fr-FR', location: { ip: IP } } },
    });
    expect(attributes.properties).toMatchObject({
      OrderId: ORDER_ID,
      URL: URL_,
      Items: [
        { ProductID: 'SKU-MUG-1', ProductName: 'Stoneware mug', Quantity: 2, ItemPrice: 19.95, RowTotal: 39.9, Categories: ['Kitchen'], Brand: 'Acme' },
        { ProductID: 'SKU-TEA-7', ProductName: 'Earl Grey 250 g', Quantity: 1, ItemPrice: 20, RowTotal: 20, Categories: ['Tea'], Brand: 'Acme' },
      ],
    });
    expect(klaviyo.events).toEqual([expect.objectContaining({ profileKey: `external_id:${EXTERNAL_ID}`, metric: 'Placed Order', uniqueId: first.event_id })]);
  });

  it('webhook: one verified Standard Webhooks request whose webhook-id derives from event_id, carrying the event with its hashes', () => {
    const [req] = webhook.requests;
    expect(req!.status).toBe(200);
    expect(req!.duplicate).toBe(false);
    expect(req!.verifyError).toBeUndefined();
    expect(req!.headers['webhook-id']).toBe(webhookId(first.event_id));
    expect(req!.payload).toMatchObject({
      event_id: first.event_id,
      event_name: 'purchase',
      event_time: first.event_time,
      commerce: { order_id: ORDER_ID, value: VALUE, currency: 'EUR' },
      identity: { em: EM, ph: PH, ph_e164: PH_E164, em_reddit: EM_REDDIT, external_id: EXTERNAL_ID, twclid: CLICK.twclid },
    });
  });

  it('a resend of the purchase (same event_id) and a second report of the order (new event_id) reach no platform again', async () => {
    const resend = await ingest(server!.url, [purchase(first.event_id)]);
    expect(resend.status).toBe(202);
    expect(resend.results).toEqual([expect.objectContaining({ event_id: first.event_id, status: 'duplicate' })]);

    const secondReport = purchase();
    const sameOrder = await ingest(server!.url, [secondReport]);
    expect(sameOrder.status).toBe(202);
    expect(sameOrder.results).toEqual([
      expect.objectContaining({ event_id: secondReport.event_id, status: 'duplicate', reason: expect.stringContaining(ORDER_ID) }),
    ]);

    // Neither copy opened a delivery row, so the worker has nothing to send…
    expect(ledger(dbPath, secondReport.event_id)).toEqual({});
    const db = openDb(dbPath);
    try {
      expect(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM deliveries').get()!.n).toBe(7);
      expect(db.prepare<[], { n: number }>("SELECT count(*) AS n FROM deliveries WHERE status != 'delivered'").get()!.n).toBe(0);
    } finally {
      db.close();
    }
    // …and after a good number of worker passes (50 ms apart) no fake saw a second request.
    await sleep(750);
    for (const [slug, requests] of Object.entries(requestsBySlug())) expect(requests, slug).toHaveLength(1);
    expect(outcomes(dbPath, first.event_id)).toEqual(Object.fromEntries(SLUGS.map((s) => [s, 'delivered'])));
  });
});
