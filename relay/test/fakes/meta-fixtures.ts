/**
 * Canonical events and the exact Meta server events they must become, shared by the Meta
 * mapper, destination and fake-server tests. Hashes are Meta's own documented test vectors where
 * Meta gives one (S3: john_smith@gmail.com, 16505551212, mary, 19970216, us), checked in
 * meta-map.test.ts against SHA-256 of the normalized value.
 */
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../../src/contract/event.js';
import type { MetaServerEvent } from '../../src/destinations/meta/map.js';
import type { MetaSettings } from '../../src/destinations/meta/settings.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN } from './meta-server.js';

/** normalized value → SHA-256 hex. */
export const HASHED = {
  em: ['john_smith@gmail.com', '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
  ph: ['16505551212', 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
  fn: ['mary', '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec'],
  ln: ['smith', '6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd'],
  ge: ['f', '252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111'],
  db: ['19970216', '01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c'],
  ct: ['newyork', '350c754ba4d38897693aa077ef43072a859d23f613443133fecbbd90a3512ca5'],
  st: ['ca', '6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126'],
  zp: ['94035', '1794327a4d443904421f5ca1f3d72d0a62ba2f0770d80755ec2220fc0efb052e'],
  country: ['us', '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621'],
  external_id: ['customer-42', 'a045eb33f8797f35ea7d5fad7c5e0d021e2142e9c1bb6e9dc9f45b4f503b03e8'],
} as const;

const h = (k: keyof typeof HASHED): string => HASHED[k][1];

export const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
export const FBC = 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890';
export const FBP = 'fb.1.1558571054389.1098115397';

export const SETTINGS: MetaSettings = { pixel_id: FAKE_META_PIXEL_ID, access_token: FAKE_META_TOKEN };

export function canonical(input: CanonicalEventInput): CanonicalEvent {
  return canonicalEventSchema.parse(input);
}

/** The least a website event needs for Meta: page URL, user agent, and IP + UA as customer information. */
export function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'lead',
    event_time: now - 30,
    source: 'browser',
    context: { url: 'https://shop.example/contact', user_agent: UA, ip: '203.0.113.7' },
  });
}

export function requiredOnlyExpected(now: number): MetaServerEvent {
  return {
    event_name: 'Lead',
    event_time: now - 30,
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    action_source: 'website',
    event_source_url: 'https://shop.example/contact',
    user_data: { client_ip_address: '203.0.113.7', client_user_agent: UA },
  };
}

/** A purchase reported by the WooCommerce server hook with every field the contract has. */
export function everyFieldEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: {
      url: 'https://shop.example/checkout/order-received/1001/',
      referrer: 'https://shop.example/checkout/',
      user_agent: UA,
      ip: '2001:db8::1',
      ip_anonymized: false,
      locale: 'en-US',
    },
    identity: {
      em: h('em'),
      ph: h('ph'),
      fn: h('fn'),
      ln: h('ln'),
      ge: h('ge'),
      db: h('db'),
      ct: h('ct'),
      st: h('st'),
      zp: h('zp'),
      country: h('country'),
      external_id: h('external_id'),
      fbc: FBC,
      fbp: FBP,
      gclid: 'Cj0KCQiA-not-for-meta',
      ga_client_id: '123.456',
    },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'EUR',
      tax: 9.56,
      shipping: 4.9,
      coupon: 'WELCOME10',
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen', brand: 'Acme' },
        { id: 'SKU-2', name: 'Tea', price: 30 },
      ],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
    properties: { payment_method: 'card', search_term: 'not used for Purchase' },
  });
}

export function everyFieldExpected(now: number): MetaServerEvent {
  return {
    event_name: 'Purchase',
    event_time: now - 120,
    event_id: 'order-1001',
    action_source: 'website',
    event_source_url: 'https://shop.example/checkout/order-received/1001/',
    referrer_url: 'https://shop.example/checkout/',
    user_data: {
      em: [h('em')],
      ph: [h('ph')],
      fn: [h('fn')],
      ln: [h('ln')],
      ge: [h('ge')],
      db: [h('db')],
      ct: [h('ct')],
      st: [h('st')],
      zp: [h('zp')],
      country: [h('country')],
      external_id: [h('external_id')],
      client_ip_address: '2001:db8::1',
      client_user_agent: UA,
      fbc: FBC,
      fbp: FBP,
    },
    custom_data: {
      value: 59.9,
      currency: 'EUR',
      order_id: '1001',
      contents: [
        { id: 'SKU-1', quantity: 2, item_price: 12.5 },
        { id: 'SKU-2', item_price: 30 },
      ],
      content_ids: ['SKU-1', 'SKU-2'],
      content_type: 'product',
    },
  };
}

/** A valid Meta wire event for the fake-server tests, with overrides. */
export function wireEvent(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_name: 'Lead',
    event_time: now - 10,
    event_id: 'evt-1',
    action_source: 'website',
    event_source_url: 'https://shop.example/contact',
    user_data: { client_ip_address: '203.0.113.7', client_user_agent: UA, em: [h('em')] },
    ...overrides,
  };
}
