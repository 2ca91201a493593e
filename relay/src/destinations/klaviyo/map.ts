/**
 * Canonical event → one Klaviyo Create Event request body (JSON:API). Pure: no I/O, no clock
 * (ctx.now).
 *
 * Sources: /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §6 (K1 =
 * Klaviyo OpenAPI revision 2026-04-15; WALKEROS = walkerOS's measurement that same-second events
 * without unique_id collide).
 *
 * The profile identifier (the limitation this destination lives with): Klaviyo needs at least one
 * of id, email, phone_number, external_id, anonymous_id or _kx on the profile (K1). The relay has
 * no readable email or phone — only SHA-256 hashes — and Klaviyo takes raw PII, so a hash sent as
 * `email` would be an invalid (or worse, a bogus) address. LayerSync therefore identifies the
 * profile by `external_id` = identity.external_id (the hash of the site's customer id), or, when
 * the connection allows it, the email hash. Those profiles are pseudonymous: they cannot receive
 * email or SMS, and they merge with the rest of the account only where another integration sets
 * the same external_id. Klaviyo's own `_kx` (exchange id from klaviyo.js) would attach events to
 * the visitor Klaviyo already knows without any PII, but the contract has no field for it yet.
 *
 * Consent: the consent gate decides before mapping whether Klaviyo gets the event at all. Profile
 * ATTRIBUTES beyond the identifier (location.ip, locale) enrich a marketing profile, so they are
 * sent only when the snapshot grants both analytics_storage (behavioural profiling) and
 * ad_user_data (user data for marketing); a missing snapshot sends none (the safe reading, as the
 * Google destinations do). Klaviyo is the merchant's own processor, not a sale or share, so
 * do_not_sell does not stop the event.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { nonEmpty, refuse, skip } from '../shared/event.js';
import type { MapContext, MapResult } from '../types.js';
import { KLAVIYO_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { KlaviyoSettings } from './settings.js';

export interface KlaviyoProfileAttributes {
  external_id: string;
  locale?: string;
  location?: { ip: string };
}

/** One product, with Klaviyo's e-commerce property names (Klaviyo's integration guides; UNCONFIRMED here). */
export interface KlaviyoItem {
  ProductID: string;
  ProductName?: string;
  Quantity?: number;
  ItemPrice?: number;
  RowTotal?: number;
  Categories?: string[];
  Brand?: string;
  Variant?: string;
}

export type KlaviyoPropertyValue = string | number | boolean | null | string[] | KlaviyoItem[];

/** The Create Event body (K1). */
export interface KlaviyoEventBody {
  data: {
    type: 'event';
    attributes: {
      properties: Record<string, KlaviyoPropertyValue>;
      metric: { data: { type: 'metric'; attributes: { name: string } } };
      profile: { data: { type: 'profile'; attributes: KlaviyoProfileAttributes } };
      /** ISO 8601; Klaviyo truncates to the second (K1). */
      time: string;
      value?: number;
      value_currency?: string;
      /** The event_id: Klaviyo keeps only the first event per (profile, metric, unique_id) (K1). */
      unique_id: string;
      /** Recorded without triggering flows (K1). Sent only when true. */
      backfill?: true;
    };
  };
}

/** Events this close to the age limit are refused: they reach Klaviyo a moment after mapping. */
export const KLAVIYO_EVENT_AGE_MARGIN_SECONDS = 60;

/** Klaviyo metric names must be under 128 characters (K1). */
const MAX_METRIC_NAME = 127;

/** Maps one canonical event to a Klaviyo Create Event body, or says why it is not sent. */
export function mapKlaviyoEvent(event: CanonicalEvent, ctx: MapContext<KlaviyoSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > KLAVIYO_MAX_EVENT_AGE_SECONDS - KLAVIYO_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(
      `The event happened ${Math.floor(age / 86_400)} days ago; LayerSync sends Klaviyo events up to a year old, so it was not sent (import older history deliberately).`,
    );
  }
  const metric = ctx.platformEventName.trim();
  if (metric === '' || metric.length > MAX_METRIC_NAME) {
    return refuse(`Klaviyo metric names must be 1-${MAX_METRIC_NAME} characters; the event map gives "${metric}".`);
  }

  const externalId = profileExternalId(event, ctx.settings);
  if (externalId === undefined) {
    return skip(
      ctx.settings.profile_identifier === 'external_id'
        ? 'Klaviyo needs a profile identifier and this event has no identity.external_id (LayerSync holds only hashes, which Klaviyo cannot use as an email or phone), so it is not sent. Send the hashed customer id as external_id, or allow the email hash as profile identifier.'
        : 'Klaviyo needs a profile identifier and this event has neither identity.external_id nor an email hash, so it is not sent.',
    );
  }

  const profile: KlaviyoProfileAttributes = { external_id: externalId };
  const consent = event.consent;
  if (consent?.analytics_storage === 'granted' && consent.ad_user_data === 'granted') {
    const locale = nonEmpty(event.context.locale);
    const ip = nonEmpty(event.context.ip);
    if (locale !== undefined) profile.locale = locale;
    if (ip !== undefined) profile.location = { ip };
  }

  const attributes: KlaviyoEventBody['data']['attributes'] = {
    properties: eventProperties(event),
    metric: { data: { type: 'metric', attributes: { name: metric } } },
    profile: { data: { type: 'profile', attributes: profile } },
    // Klaviyo takes times up to a year ahead (K1), but an event cannot have happened after the
    // relay saw it; a clock running ahead would misplace it in flows.
    time: new Date(Math.min(event.event_time, ctx.now) * 1000).toISOString(),
    // Without unique_id Klaviyo keys the event on its time to the second, so two events of one
    // profile and metric in the same second collide and one is silently dropped (K1, WALKEROS).
    // The event_id is deterministic and shared by every copy of the event, so resends dedup too.
    unique_id: event.event_id,
  };
  if (event.commerce?.value !== undefined) {
    attributes.value = event.commerce.value;
    if (event.commerce.currency !== undefined) attributes.value_currency = event.commerce.currency;
  }
  if (age > ctx.settings.backfill_after_hours * 3600) attributes.backfill = true;

  const body: KlaviyoEventBody = { data: { type: 'event', attributes } };
  return { ok: true, payload: body };
}

function profileExternalId(event: CanonicalEvent, settings: KlaviyoSettings): string | undefined {
  const { external_id, em } = event.identity;
  if (external_id !== undefined) return external_id;
  if (settings.profile_identifier === 'external_id_or_email_hash' && em !== undefined) return em;
  return undefined;
}

/**
 * Event properties: the order and its items under Klaviyo's e-commerce names, the page URL, and
 * the site's own scalar `properties` (which the site chose to track; LayerSync's keys win, and
 * keys starting with "$" are left out because Klaviyo reserves them).
 */
function eventProperties(event: CanonicalEvent): Record<string, KlaviyoPropertyValue> {
  const props: Record<string, KlaviyoPropertyValue> = {};
  for (const [key, value] of Object.entries(event.properties ?? {})) {
    if (!key.startsWith('$')) props[key] = value;
  }
  const url = nonEmpty(event.context.url);
  if (url !== undefined) props.URL = url;
  const c = event.commerce;
  if (c !== undefined) {
    if (c.order_id !== undefined) props.OrderId = c.order_id;
    if (c.coupon !== undefined && c.coupon !== '') props.DiscountCode = c.coupon;
    if (c.tax !== undefined) props.Tax = c.tax;
    if (c.shipping !== undefined) props.Shipping = c.shipping;
    const items = c.items ?? [];
    if (items.length > 0) {
      props.Items = items.map((item) => {
        const out: KlaviyoItem = { ProductID: item.id };
        if (item.name) out.ProductName = item.name;
        if (item.quantity !== undefined) out.Quantity = item.quantity;
        if (item.price !== undefined) {
          out.ItemPrice = item.price;
          out.RowTotal = round2(item.price * (item.quantity ?? 1));
        }
        if (item.category) out.Categories = [item.category];
        if (item.brand) out.Brand = item.brand;
        if (item.variant) out.Variant = item.variant;
        return out;
      });
      props.ItemNames = items.map((i) => i.name).filter((n): n is string => !!n);
      props.Categories = unique(items.map((i) => i.category));
      props.Brands = unique(items.map((i) => i.brand));
    }
  }
  return props;
}

function unique(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
