/// <reference types="node" />
/**
 * The tracker's events against the canonical contract: the zod schema itself (always), and the
 * JSON Schema generated from it, relay/schema/event.schema.json, which the PHP tests use too
 * (runs once that file is committed; LAYERSYNC_EVENT_SCHEMA may point at another copy).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STANDARD_EVENT_NAMES as RELAY_NAMES, canonicalEventSchema } from '../../../relay/src/contract/event';
import { STANDARD_EVENT_NAMES } from '../src/event';
import type { BrowserEvent } from '../src/types';
import { loadTracker, mockFetch, settle, unloadTrackers, useFakeClock } from './helpers';

// happy-dom replaces the global URL, so paths are resolved with node:path.
const SCHEMA_PATH =
  process.env.LAYERSYNC_EVENT_SCHEMA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../relay/schema/event.schema.json');

/** What the WordPress route forwards: the browser event plus `source`. */
const asForwarded = (e: BrowserEvent) => ({ ...e, source: 'browser' });

async function sampleEvents(): Promise<BrowserEvent[]> {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const { calls } = mockFetch();
  const api = loadTracker({
    config: {
      endpoint: '/wp-json/layersync/v1/events',
      currency: 'EUR',
      consent: { ad_storage: 'granted', analytics_storage: 'denied', ad_user_data: 'granted', ad_personalization: 'denied' },
    },
  });
  Object.defineProperty(document, 'referrer', { value: 'https://www.example.org/search?q=mug', configurable: true });
  await api.track('page_view');
  await api.track('add_to_cart', {
    email: ' Jane.Doe@Example.com ',
    phone: '+49 151 1234 5678',
    first_name: 'Jane',
    last_name: 'Doe',
    city: 'Berlin',
    state: 'BE',
    zip: '10115',
    country: 'DE',
    external_id: 'cust-1',
    value: 19.9,
    tax: 3.18,
    shipping: 4.9,
    coupon: 'WELCOME',
    order_id: 'cart-77',
    items: [{ id: 'SKU-1', name: 'Mug', price: 19.9, quantity: 1, category: 'Kitchen', variant: 'blue', brand: 'Acme' }],
    list: 'related',
    logged_in: false,
    note: null,
  });
  await api.track('custom:newsletter_open', { campaign: 'spring' });
  await settle();
  return calls.flatMap((c) => c.events);
}

beforeEach(useFakeClock);
afterEach(() => {
  unloadTrackers();
  vi.useRealTimers();
});

describe('contract', () => {
  it('knows exactly the relay’s standard event names', () => {
    expect([...STANDARD_EVENT_NAMES]).toEqual([...RELAY_NAMES]);
  });

  it('sends events the canonical zod schema accepts', async () => {
    const events = await sampleEvents();
    expect(events).toHaveLength(3);
    for (const e of events) {
      const parsed = canonicalEventSchema.safeParse(asForwarded(e));
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  it.skipIf(!existsSync(SCHEMA_PATH))('sends events relay/schema/event.schema.json accepts', async () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $schema?: string };
    const ajv = String(schema.$schema).includes('2020-12') ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const events = await sampleEvents();
    for (const e of events) {
      validate(asForwarded(e));
      expect(validate.errors ?? []).toEqual([]);
    }
    // The validator is not vacuous: raw PII and a missing source fail it.
    expect(validate({ ...asForwarded(events[1]!), identity: { em: 'jane.doe@example.com' } })).toBe(false);
    expect(validate(events[0])).toBe(false);
  });
});
