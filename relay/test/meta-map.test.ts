import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { META_MAX_EVENT_AGE_SECONDS, META_MAX_EVENTS_PER_REQUEST } from '../src/destinations/meta/api.js';
import { meta } from '../src/destinations/meta/index.js';
import { mapMetaEvent, metaActionSource, type MetaServerEvent } from '../src/destinations/meta/map.js';
import { metaSettings } from '../src/destinations/meta/settings.js';
import type { MapContext, MapResult } from '../src/destinations/types.js';
import type { MetaSettings } from '../src/destinations/meta/settings.js';
import {
  FBC,
  HASHED,
  SETTINGS,
  UA,
  canonical,
  everyFieldEvent,
  everyFieldExpected,
  requiredOnlyEvent,
  requiredOnlyExpected,
} from './fakes/meta-fixtures.js';

const NOW = 1_795_400_000;

function ctx(platformEventName: string, extra: Partial<MapContext<MetaSettings>> = {}): MapContext<MetaSettings> {
  return { settings: SETTINGS, platformEventName, now: NOW, ...extra };
}

function payload(result: MapResult): MetaServerEvent {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as MetaServerEvent;
}

function refusal(result: MapResult): string {
  if (result.ok) throw new Error('expected a refusal');
  expect(result.skip).toBe(false);
  return result.reason;
}

describe('Meta fixtures', () => {
  it.each(Object.entries(HASHED))('%s hash is SHA-256 of the normalized value', (_key, [plain, hex]) => {
    expect(createHash('sha256').update(plain, 'utf8').digest('hex')).toBe(hex);
  });
});

describe('mapMetaEvent', () => {
  it('maps an event with only the required fields exactly', () => {
    expect(payload(mapMetaEvent(requiredOnlyEvent(NOW), ctx('Lead')))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an event with every field exactly (hashed values as arrays, ip/ua/fbc/fbp unhashed)', () => {
    expect(payload(mapMetaEvent(everyFieldEvent(NOW), ctx('Purchase')))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('chooses action_source from where the event came from', () => {
    const base = { event_id: 'e1', event_name: 'purchase', event_time: NOW } as const;
    const web = { url: 'https://shop.example/', user_agent: UA };
    expect(metaActionSource(canonical({ ...base, source: 'browser', context: web }))).toBe('website');
    expect(metaActionSource(canonical({ ...base, source: 'server', context: web }))).toBe('website');
    expect(metaActionSource(canonical({ ...base, source: 'webhook' }))).toBe('system_generated');
    expect(metaActionSource(canonical({ ...base, source: 'webhook', context: web }))).toBe('website');
    expect(metaActionSource(canonical({ ...base, source: 'sdk' }))).toBe('other');
    expect(metaActionSource(canonical({ ...base, source: 'sdk', context: web }))).toBe('website');
  });

  it('sends a webhook renewal without web context as system_generated', () => {
    const event = canonical({
      event_id: 'renewal-7',
      event_name: 'purchase',
      event_time: NOW - 5,
      source: 'webhook',
      identity: { em: HASHED.em[1] },
      commerce: { value: 9, currency: 'USD' },
    });
    expect(payload(mapMetaEvent(event, ctx('Purchase')))).toStrictEqual({
      event_name: 'Purchase',
      event_time: NOW - 5,
      event_id: 'renewal-7',
      action_source: 'system_generated',
      user_data: { em: [HASHED.em[1]] },
      custom_data: { value: 9, currency: 'USD' },
    });
  });

  it('refuses a website event without a user agent, naming the field', () => {
    const event = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', ip: '203.0.113.7' } });
    expect(refusal(mapMetaEvent(event, ctx('Lead')))).toMatch(/client_user_agent.*context\.user_agent/);
  });

  it('refuses a website event without a page URL', () => {
    const event = canonical({ ...requiredOnlyEvent(NOW), context: { user_agent: UA, ip: '203.0.113.7' } });
    expect(refusal(mapMetaEvent(event, ctx('Lead')))).toMatch(/event_source_url.*context\.url/);
  });

  it('refuses user data below Meta\'s matching floor (2804050) and accepts it once strong enough', () => {
    const weak = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', user_agent: UA } });
    expect(refusal(mapMetaEvent(weak, ctx('Lead')))).toMatch(/insufficient customer information \(only client_user_agent; Meta error 2804050\)/);

    const nameAndGender = canonical({
      event_id: 'e2',
      event_name: 'lead',
      event_time: NOW,
      source: 'webhook',
      identity: { fn: HASHED.fn[1], ge: HASHED.ge[1] },
    });
    expect(refusal(mapMetaEvent(nameAndGender, ctx('Lead')))).toMatch(/only fn, ge/);

    const none = canonical({ event_id: 'e3', event_name: 'lead', event_time: NOW, source: 'sdk' });
    expect(refusal(mapMetaEvent(none, ctx('Lead')))).toMatch(/none at all/);

    const withEmail = canonical({ ...nameAndGender, identity: { fn: HASHED.fn[1], ge: HASHED.ge[1], em: HASHED.em[1] } });
    expect(mapMetaEvent(withEmail, ctx('Lead')).ok).toBe(true);
  });

  it('refuses a Purchase without value and currency', () => {
    const event = canonical({ ...requiredOnlyEvent(NOW), event_name: 'purchase' });
    expect(refusal(mapMetaEvent(event, ctx('Purchase')))).toMatch(/value and currency on Purchase/);
  });

  it('refuses events at Meta\'s 7-day limit and keeps the window constant at 7 days', () => {
    expect(META_MAX_EVENT_AGE_SECONDS).toBe(604_800);
    expect(meta.maxEventAgeSeconds).toBe(604_800);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 - 1 });
    expect(refusal(mapMetaEvent(old, ctx('Lead')))).toMatch(/7 d 0 h ago; Meta refuses events older than 7 days/);
    // Within the 60 s safety margin before the limit: refused too, it would arrive too old.
    const edge = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 + 30 });
    expect(mapMetaEvent(edge, ctx('Lead')).ok).toBe(false);
    const fine = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 + 120 });
    expect(payload(mapMetaEvent(fine, ctx('Lead'))).event_time).toBe(NOW - 604_800 + 120);
  });

  it('clamps a future event_time (skewed browser clock) to now', () => {
    const ahead = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 3_600 });
    expect(payload(mapMetaEvent(ahead, ctx('Lead'))).event_time).toBe(NOW);
  });

  it('leaves out a malformed fbc/fbp rather than let it sink the batch', () => {
    const event = canonical({ ...requiredOnlyEvent(NOW), identity: { fbc: 'AbCdEf-raw-fbclid', fbp: 'fb.1.1558571054389.1098115397' } });
    const out = payload(mapMetaEvent(event, ctx('Lead')));
    expect(out.user_data.fbc).toBeUndefined();
    expect(out.user_data.fbp).toBe('fb.1.1558571054389.1098115397');
    const good = canonical({ ...requiredOnlyEvent(NOW), identity: { fbc: FBC } });
    expect(payload(mapMetaEvent(good, ctx('Lead'))).user_data.fbc).toBe(FBC);
  });

  it('sets Limited Data Use from the site policy (US/CA codes) or the visitor\'s do-not-sell choice', () => {
    const ldu = payload(mapMetaEvent(requiredOnlyEvent(NOW), ctx('Lead', { privacy: { limitedDataUse: true, lduCountry: 'us', lduState: 'CA' } })));
    expect(ldu).toMatchObject({ data_processing_options: ['LDU'], data_processing_options_country: 1, data_processing_options_state: 1000 });

    const geo = payload(mapMetaEvent(requiredOnlyEvent(NOW), ctx('Lead', { privacy: { limitedDataUse: true, lduCountry: 'US', lduState: 'CO' } })));
    expect(geo).toMatchObject({ data_processing_options_country: 1, data_processing_options_state: 0 });

    const dns = canonical({
      ...requiredOnlyEvent(NOW),
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true },
    });
    expect(payload(mapMetaEvent(dns, ctx('Lead')))).toMatchObject({
      data_processing_options: ['LDU'],
      data_processing_options_country: 0,
      data_processing_options_state: 0,
    });

    expect(payload(mapMetaEvent(requiredOnlyEvent(NOW), ctx('Lead', { privacy: { limitedDataUse: false } })))).not.toHaveProperty(
      'data_processing_options',
    );
  });

  it('adds num_items only to InitiateCheckout and search_string only to Search', () => {
    const cart = canonical({
      ...requiredOnlyEvent(NOW),
      event_name: 'begin_checkout',
      commerce: { value: 55, currency: 'EUR', items: [{ id: 'A', quantity: 2, price: 10 }, { id: 'B', price: 35 }] },
    });
    expect(payload(mapMetaEvent(cart, ctx('InitiateCheckout'))).custom_data).toStrictEqual({
      value: 55,
      currency: 'EUR',
      contents: [
        { id: 'A', quantity: 2, item_price: 10 },
        { id: 'B', item_price: 35 },
      ],
      content_ids: ['A', 'B'],
      content_type: 'product',
      num_items: 3,
    });
    expect(payload(mapMetaEvent(cart, ctx('AddToCart'))).custom_data).not.toHaveProperty('num_items');

    const search = canonical({ ...requiredOnlyEvent(NOW), event_name: 'search', properties: { search_term: 'blue mug' } });
    expect(payload(mapMetaEvent(search, ctx('Search'))).custom_data).toStrictEqual({ search_string: 'blue mug' });
  });

  it('omits custom_data entirely when there is nothing to put in it', () => {
    expect(payload(mapMetaEvent(requiredOnlyEvent(NOW), ctx('PageView')))).not.toHaveProperty('custom_data');
  });
});

describe('meta destination definition', () => {
  it('batches at Meta\'s 1,000-event limit and declares all-or-nothing rejection', () => {
    expect(META_MAX_EVENTS_PER_REQUEST).toBe(1000);
    expect(meta.maxBatchSize).toBe(1000);
    expect(meta.batchRejection).toBe('all-or-nothing');
    expect(meta.slug).toBe('meta');
    expect(meta.defaultBaseUrl).toBe('https://graph.facebook.com');
  });

  it('maps canonical names to Meta standard events and leaves the rest unmapped', () => {
    expect(meta.defaultEventMap).toStrictEqual({
      page_view: 'PageView',
      view_item: 'ViewContent',
      add_to_cart: 'AddToCart',
      begin_checkout: 'InitiateCheckout',
      add_payment_info: 'AddPaymentInfo',
      purchase: 'Purchase',
      lead: 'Lead',
      sign_up: 'CompleteRegistration',
      search: 'Search',
      subscribe: 'Subscribe',
      start_trial: 'StartTrial',
    });
    for (const unmapped of ['view_item_list', 'remove_from_cart', 'view_cart', 'add_shipping_info', 'refund'] as const) {
      expect(meta.defaultEventMap[unmapped]).toBeUndefined();
    }
  });
});

describe('metaSettings', () => {
  it('marks the access token secret and describes it', () => {
    expect(metaSettings.shape.access_token.meta()).toMatchObject({ secret: true, title: 'Conversions API access token' });
    expect(metaSettings.shape.access_token.description).toMatch(/Events Manager/);
    expect(metaSettings.shape.pixel_id.meta()?.secret).toBeUndefined();
    const json = z.toJSONSchema(metaSettings) as { properties: Record<string, { secret?: boolean }> };
    expect(json.properties.access_token?.secret).toBe(true);
  });

  it('accepts a valid connection and explains each mistake', () => {
    expect(metaSettings.parse({ pixel_id: ' 1234567890123456 ', access_token: 'EAAB'.padEnd(40, 'x'), test_event_code: 'TEST12345' })).toStrictEqual({
      pixel_id: '1234567890123456',
      access_token: 'EAAB'.padEnd(40, 'x'),
      test_event_code: 'TEST12345',
    });
    const bad = metaSettings.safeParse({ pixel_id: 'px-123', access_token: 'short', extra: 1 });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toMatch(/pixel_id: must be the numeric Pixel/);
    expect(messages).toMatch(/access_token: must be the Conversions API access token/);
    expect(messages).toMatch(/Unrecognized key/);
  });
});

describe('mapMetaEvent — empty strings', () => {
  it('treats an empty user agent or referrer as absent', () => {
    const event = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', user_agent: ' ', referrer: '', ip: '203.0.113.7' } });
    expect(refusal(mapMetaEvent(event, ctx('Lead')))).toMatch(/client_user_agent/);
    const ok = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', user_agent: UA, referrer: '', ip: '203.0.113.7' } });
    expect(payload(mapMetaEvent(ok, ctx('Lead')))).not.toHaveProperty('referrer_url');
  });
});
