/**
 * Canonical event → one element of the X Conversion API `conversions` array. Pure: no I/O, no
 * clock (ctx.now).
 *
 * Sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §5): X1
 * "Web Conversions" v12 reference.
 *
 * Naming: X's `event_id` is the ID of the event pre-created in Events Manager (from settings);
 * LayerSync's event_id travels as `conversion_id`, X's key for deduplicating against the pixel.
 *
 * Identifiers (X1): at least one of twclid, hashed_email, hashed_phone_number; IP address and
 * user agent count only next to one of those. The contract's `em` is X's hashed_email exactly
 * (SHA-256 of the trimmed, lower-cased email; X has no Gmail rule). X wants the phone "E.164,
 * then SHA-256" (X1; notes §5 and §9, which set X apart from Snap/Pinterest's digits without
 * "+"): E.164 written with its leading "+", which is the contract's `ph_e164`. X's pages show no
 * hashed example, so whether the "+" is hashed stays UNCONFIRMED; without `ph_e164` (an older
 * sender) the plain `ph` (digits without "+") is sent rather than no phone. X cannot tell which
 * one it got, so it cannot refuse either.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { itemCount, refuse, skip, skipWithoutLimitedDataUse } from '../shared/event.js';
import type { MapContext, MapResult } from '../types.js';
import { X_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { XSettings } from './settings.js';

/** One identifier object; X's examples put one identifier per object (X1). */
export type XIdentifier =
  | { twclid: string }
  | { hashed_email: string }
  | { hashed_phone_number: string }
  /** Whether ip_address and user_agent share one object or take one each is UNCONFIRMED; X1 says they must come with another identifier. */
  | { ip_address: string; user_agent: string };

/** Product details (X1 lists `contents`; its field list is UNCONFIRMED, these follow the X pixel's). */
export interface XContent {
  content_id: string;
  content_name?: string;
  content_price?: number;
  num_items?: number;
}

/** One conversion as X's Conversion API takes it (X1). */
export interface XConversion {
  /** ISO 8601 with milliseconds, UTC (X1 example `2022-02-18T01:14:00.603Z`). */
  conversion_time: string;
  /** X's event ID (from settings.event_ids). */
  event_id: string;
  identifiers: XIdentifier[];
  /** LayerSync's event_id: deduplicates against the pixel's conversion_id (X1). */
  conversion_id: string;
  value?: number;
  price_currency?: string;
  number_items?: number;
  contents?: XContent[];
}

/** Events this close to the age limit are refused: they reach X a moment after mapping. */
export const X_EVENT_AGE_MARGIN_SECONDS = 60;

/** Maps one canonical event to an X conversion, or says why it is not sent. */
export function mapXEvent(event: CanonicalEvent, ctx: MapContext<XSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > X_MAX_EVENT_AGE_SECONDS - X_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${Math.floor(age / 86_400)} days ago; LayerSync sends X conversions up to 30 days old, so it was not sent.`);
  }
  // X has no restricted-processing flag, so an opt-out can only be honoured by not sending.
  const optedOut = skipWithoutLimitedDataUse(event, ctx.privacy, 'X');
  if (optedOut !== undefined) return optedOut;
  const xEventId = ctx.settings.event_ids[event.event_name];
  if (xEventId === undefined) {
    return skip(
      `No X event ID is set for "${event.event_name}"; create the event in X Events Manager and add it under event_ids (e.g. "${event.event_name}": "o87ne") to send these events.`,
    );
  }
  const identifiers = xIdentifiers(event);
  if (identifiers.length === 0) {
    return skip(
      'X can only match a conversion with the twclid click id (with ad_storage consent) or a hashed email or phone (with ad_user_data consent); this event has none, so it is not sent.',
    );
  }

  const out: XConversion = {
    conversion_time: new Date(Math.min(event.event_time, ctx.now) * 1000).toISOString(),
    event_id: xEventId,
    identifiers,
    conversion_id: event.event_id,
  };
  const commerce = event.commerce;
  if (commerce !== undefined) {
    if (commerce.value !== undefined && commerce.currency !== undefined) {
      out.value = commerce.value;
      out.price_currency = commerce.currency;
    }
    const items = commerce.items ?? [];
    if (items.length > 0) {
      // X1: number_items must be a positive integer.
      out.number_items = itemCount(items);
      out.contents = items.map((item) => {
        const c: XContent = { content_id: item.id };
        if (item.name !== undefined && item.name !== '') c.content_name = item.name;
        if (item.price !== undefined) c.content_price = item.price;
        if (item.quantity !== undefined) c.num_items = item.quantity;
        return c;
      });
    }
  }
  return { ok: true, payload: out };
}

/**
 * twclid only with ad_storage not denied; hashed email/phone only with ad_user_data not denied.
 * Absent consent is the site default the consent gate already applied, so only an explicit denial
 * strips an identifier. IP + user agent (user data too) are added only next to another identifier
 * (X1), and not when the site anonymized the IP (it would match nobody).
 */
export function xIdentifiers(event: CanonicalEvent): XIdentifier[] {
  const ids: XIdentifier[] = [];
  const { twclid, em, ph, ph_e164 } = event.identity;
  if (twclid !== undefined && event.consent?.ad_storage !== 'denied') ids.push({ twclid });
  if (event.consent?.ad_user_data !== 'denied') {
    if (em !== undefined) ids.push({ hashed_email: em });
    const phone = ph_e164 ?? ph;
    if (phone !== undefined) ids.push({ hashed_phone_number: phone });
  }
  const { ip, user_agent, ip_anonymized } = event.context;
  if (ids.length > 0 && event.consent?.ad_user_data !== 'denied' && ip !== undefined && ip !== '' && ip_anonymized !== true && user_agent !== undefined && user_agent.trim() !== '') {
    ids.push({ ip_address: ip, user_agent: user_agent.trim() });
  }
  return ids;
}
