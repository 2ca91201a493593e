/**
 * Canonical event → one element of the Pinterest `data` array. Pure: no I/O, no clock (ctx.now).
 *
 * Sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §1): P1 the
 * v5.13 OpenAPI schema (ConversionEvents, ConversionEventsUserData), P2 the developer guide, P3
 * third-party integrations (Segment, WooCommerce issue #967).
 *
 * Pinterest validates the body against a JSON schema with `additionalProperties: false` on the
 * event, `custom_data` and each content (P1; an unknown key fails the whole request with HTTP 400,
 * P3), so this mapper only ever writes keys that schema lists. Hashed identity values pass through
 * as the relay received them: the contract's normalization (docs/CONTRACT.md) is what Pinterest
 * asks for on em, ph, fn, ln, ct, st, country, ge and db. Two small differences, both harmless
 * for matching in practice: Pinterest wants zp as digits only (the contract keeps letters of
 * non-numeric postcodes) and lists "n" as a third gender (the contract has f/m only).
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { hashedIdentityLists, isWebsiteVisit, itemCount, nonEmpty, refuse, restrictsProcessing } from '../shared/event.js';
import { formatMoney } from '../shared/money.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import { PINTEREST_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { PinterestSettings } from './settings.js';

/**
 * Event names Pinterest accepts. The first nine are the v5.13 OpenAPI list (P1); the others are
 * on Pinterest's current developer page (P2) and in Segment's 2026 integration but not in that
 * OpenAPI version. UNCONFIRMED whether every account accepts them; an account that does not
 * reports the event as failed, which drops only that event.
 */
export const PINTEREST_EVENT_NAMES = [
  'add_to_cart',
  'checkout',
  'custom',
  'lead',
  'page_visit',
  'search',
  'signup',
  'view_category',
  'watch_video',
  'add_payment_info',
  'add_to_wishlist',
  'app_install',
  'app_open',
  'contact',
  'customize_product',
  'find_location',
  'initiate_checkout',
  'schedule',
  'start_trial',
  'submit_application',
  'subscribe',
  'view_content',
] as const;

/** Every action_source Pinterest accepts (P1). */
export const PINTEREST_ACTION_SOURCES = ['web', 'app_android', 'app_ios', 'offline'] as const;
export type PinterestActionSource = (typeof PINTEREST_ACTION_SOURCES)[number];

/** user_data keys Pinterest wants as lists of SHA-256 hex, even for one value (P1). */
export const PINTEREST_HASHED_KEYS = ['em', 'ph', 'ge', 'db', 'fn', 'ln', 'ct', 'st', 'zp', 'country', 'external_id'] as const;
type PinterestHashedKey = (typeof PINTEREST_HASHED_KEYS)[number];

export type PinterestUserData = Partial<Record<PinterestHashedKey, string[]>> & {
  /** Never hashed (P1). */
  client_ip_address?: string;
  /** Never hashed (P1). */
  client_user_agent?: string;
  /** The `_epik` cookie or `epik` URL parameter, never hashed (P1). */
  click_id?: string;
};

export interface PinterestContent {
  id: string;
  /** A decimal string, like `value` (P1). */
  item_price?: string;
  quantity?: number;
  item_name?: string;
  item_category?: string;
  item_brand?: string;
}

export interface PinterestCustomData {
  currency?: string;
  /** A decimal string: Pinterest parses it into a double (P1). */
  value?: string;
  content_ids?: string[];
  contents?: PinterestContent[];
  num_items?: number;
  order_id?: string;
  search_string?: string;
  /** Comma-separated privacy flags; `LDP` = Limited Data Processing (P1). */
  opt_out_type?: string;
}

/** One element of the request's `data` array (P1 ConversionEvents.data.items). */
export interface PinterestEvent {
  event_name: string;
  action_source: PinterestActionSource;
  /** Unix seconds. */
  event_time: number;
  /** Shared with the Pinterest tag for deduplication (P1, P2). */
  event_id: string;
  event_source_url?: string;
  user_data: PinterestUserData;
  custom_data?: PinterestCustomData;
  /** ISO 639-1 (P1). */
  language?: string;
}

/**
 * Events this close to the age limit are refused: they are mapped now and reach Pinterest a
 * moment later.
 */
export const PINTEREST_EVENT_AGE_MARGIN_SECONDS = 60;

/**
 * Where the conversion happened (P1: web, app_android, app_ios, offline). Storefront events
 * (browser, WooCommerce server hooks) and webhook/SDK events that carry the page URL and the
 * shopper's user agent are `web`. Anything else describes no website visit; Pinterest's only
 * other choice for a shop without an app is `offline` (such events are not deduplicated, P1).
 */
export function pinterestActionSource(event: CanonicalEvent): PinterestActionSource {
  return isWebsiteVisit(event) ? 'web' : 'offline';
}

/** Maps one canonical event to a Pinterest conversion event, or says why Pinterest would refuse it. */
export function mapPinterestEvent(event: CanonicalEvent, ctx: MapContext<PinterestSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > PINTEREST_MAX_EVENT_AGE_SECONDS - PINTEREST_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; LayerSync sends Pinterest events up to 7 days old, so it was not sent.`);
  }
  if (!(PINTEREST_EVENT_NAMES as readonly string[]).includes(ctx.platformEventName)) {
    return refuse(
      `"${ctx.platformEventName}" is not a Pinterest event name; use one of ${PINTEREST_EVENT_NAMES.slice(0, 9).join(', ')} in the event map.`,
    );
  }

  const { identity } = event;
  const ip = nonEmpty(event.context.ip);
  const ua = nonEmpty(event.context.user_agent);
  const url = nonEmpty(event.context.url);

  const userData: PinterestUserData = hashedIdentityLists(identity, PINTEREST_HASHED_KEYS);
  if (ip !== undefined) userData.client_ip_address = ip;
  if (ua !== undefined) userData.client_user_agent = ua;
  const epik = nonEmpty(identity.epik);
  if (epik !== undefined) userData.click_id = epik;

  // P1: user_data must hold em, hashed_maids, or both client_ip_address and client_user_agent. A
  // phone alone does not count (P3). Pinterest checks this with its JSON schema, so a miss would
  // fail the whole request with HTTP 400 rather than only this event.
  if (userData.em === undefined && (ip === undefined || ua === undefined)) {
    return refuse(
      'Pinterest needs the hashed email (identity.em) or both the visitor\'s IP address and user agent (context.ip, context.user_agent) to accept an event, and this event has neither.',
    );
  }

  const out: PinterestEvent = {
    event_name: ctx.platformEventName,
    action_source: pinterestActionSource(event),
    // Pinterest refuses future timestamps (P1); an event cannot have happened after the relay saw it.
    event_time: Math.min(event.event_time, ctx.now),
    event_id: event.event_id,
    user_data: userData,
  };
  if (url !== undefined) out.event_source_url = url;

  const customData = mapCustomData(event, ctx.platformEventName);
  // P1 opt_out_type: "LDP" asks Pinterest for Limited Data Processing (US state privacy laws):
  // the site's policy, or the visitor's own "do not sell" choice. `opt_out` itself is not sent:
  // visitors who opted out of tracking are stopped by the consent gate before mapping.
  if (restrictsProcessing(event, ctx.privacy)) customData.opt_out_type = 'LDP';
  if (Object.keys(customData).length > 0) out.custom_data = customData;

  const language = languageOf(event.context.locale);
  if (language !== undefined) out.language = language;

  return { ok: true, payload: out };
}

function mapCustomData(event: CanonicalEvent, platformEventName: string): PinterestCustomData {
  const custom: PinterestCustomData = {};
  const commerce = event.commerce;
  if (commerce !== undefined) {
    if (commerce.currency !== undefined) custom.currency = commerce.currency;
    if (commerce.value !== undefined) custom.value = formatPinterestMoney(commerce.value, commerce.currency);
    if (commerce.order_id !== undefined) custom.order_id = commerce.order_id;
    const items = commerce.items ?? [];
    if (items.length > 0) {
      custom.content_ids = items.map((item) => item.id);
      custom.contents = items.map((item) => {
        const content: PinterestContent = { id: item.id };
        if (item.price !== undefined) content.item_price = formatPinterestMoney(item.price, commerce.currency);
        if (item.quantity !== undefined) content.quantity = item.quantity;
        if (nonEmpty(item.name) !== undefined) content.item_name = item.name;
        if (nonEmpty(item.category) !== undefined) content.item_category = item.category;
        if (nonEmpty(item.brand) !== undefined) content.item_brand = item.brand;
        return content;
      });
      custom.num_items = itemCount(items);
    }
  }
  // GA4's search event carries its query as `search_term`; Pinterest calls it search_string.
  const searchTerm = event.properties?.search_term;
  if (platformEventName === 'search' && typeof searchTerm === 'string' && searchTerm.trim() !== '') {
    custom.search_string = searchTerm;
  }
  return custom;
}

/**
 * Pinterest takes money as a decimal string (P1: value "72.39", item_price "1325.12"). It is
 * written with the currency's minor units (0 for JPY, 3 for KWD, else 2), never in exponent
 * notation and never with float noise such as "59.900000000000006" (ICU's decimal rounding).
 */
export function formatPinterestMoney(amount: number, currency: string | undefined): string {
  return formatMoney(amount, currency, 'decimal');
}

/** `en-US` → `en` (P1 language: ISO 639-1). */
function languageOf(locale: string | undefined): string | undefined {
  const m = /^([A-Za-z]{2})(?:[-_]|$)/.exec(locale ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}
