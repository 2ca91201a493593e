/**
 * Canonical event → one element of the Events API 2.0 `data` array. Pure: no I/O, no clock
 * (ctx.now), no settings beyond what is passed in.
 *
 * Sources (see /work/shared/platforms/meta-ga4-googleads-tiktok.md §4): T1 Events API 2.0 web
 * reference (via T5 Segment tiktok-conversions and T6 RudderStack tiktok_ads), T3 deduplication,
 * T4 standard events, T7 Hightouch (batch semantics), T8 matching with the Events API.
 */
import type { CanonicalEvent, StandardEventName } from '../../contract/event.js';
import { refuse, restrictsProcessing } from '../shared/event.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import { TIKTOK_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { TiktokSettings } from './settings.js';

/**
 * Canonical → TikTok standard event names (T4, Sept 2025 list). Purchase replaced CompletePayment
 * and Lead replaced SubmitForm; new builds use the current names (notes §4.4).
 *
 * Not mapped:
 * - page_view: TikTok's standard-event list has no page view; the pixel fires its own automatic
 *   "Pageview", but that name is not documented for the Events API (UNCONFIRMED), and the pixel
 *   already reports page views from the browser. A merchant who wants them server-side can map
 *   page_view → Pageview in the site's event map.
 * - view_item_list, remove_from_cart, view_cart, add_shipping_info, refund: no TikTok standard
 *   event (refund: UNCONFIRMED, none found).
 */
export const TIKTOK_DEFAULT_EVENT_MAP = {
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
} as const satisfies Partial<Record<StandardEventName, string>>;

/** TikTok's `user` object (T1 via T5/T6). Hashed fields arrive hashed: the relay never sees raw PII. */
export interface TiktokUser {
  /** SHA-256 of the trimmed, lowercased email (T1 sample comments, T8). */
  email?: string;
  /** SHA-256 of the phone in E.164 with "+" (`ph_e164`), else of its digits (`ph`); see mapUser. */
  phone?: string;
  /** SHA-256 of the site's customer/visitor id. TikTok takes a string or an array (T1). */
  external_id?: string;
  /** SHA-256 of the lowercased first name (T5). */
  first_name?: string;
  /** SHA-256 of the lowercased last name (T5). */
  last_name?: string;
  /** SHA-256 of the postal code (T5). */
  zip_code?: string;
  /** TikTok click id from the landing URL's `?ttclid=` (notes §4.2). Never hashed. */
  ttclid?: string;
  /** The `_ttp` first-party cookie (notes §4.2). Never hashed. */
  ttp?: string;
  /** Never hashed; must be set by the sender for server events (T8). */
  ip?: string;
  /** Never hashed; must be set by the sender for server events (T8). */
  user_agent?: string;
  locale?: string;
}

export interface TiktokContent {
  /** A string: TikTok refuses numbers ("content_id: Not a valid string", T6 mock). */
  content_id: string;
  content_name?: string;
  content_category?: string;
  price?: number;
  quantity?: number;
  brand?: string;
}

export interface TiktokProperties {
  contents?: TiktokContent[];
  content_type?: 'product' | 'product_group';
  value?: number;
  currency?: string;
  order_id?: string;
  query?: string;
}

/** One event of the request's `data` array (T1 via T5/T6). */
export interface TiktokEvent {
  event: string;
  /** Unix seconds, not milliseconds (notes §4.8). */
  event_time: number;
  /** Dedup key with the pixel's event_id (T3). */
  event_id: string;
  user: TiktokUser;
  page?: { url?: string; referrer?: string };
  properties?: TiktokProperties;
  limited_data_use: boolean;
}

/** The request body of POST /open_api/v1.3/event/track/ (T1). */
export interface TiktokTrackRequest {
  event_source: 'web';
  /** The pixel code, for web events (T1). */
  event_source_id: string;
  test_event_code?: string;
  data: TiktokEvent[];
}

/**
 * Events within this many seconds of the age limit are refused: they are mapped now but reach
 * TikTok a moment later, and one refused event fails its whole request (T7).
 */
export const TIKTOK_EVENT_AGE_MARGIN_SECONDS = 60;

/**
 * Unix seconds reach 1e10 in the year 2286; anything larger is milliseconds. The canonical schema
 * refuses such values too; this guards events that reach the mapper another way (replays, tools).
 */
const LOOKS_LIKE_MILLISECONDS = 1e10;

/** Maps one canonical event to an Events API 2.0 event, or says why TikTok would refuse it. */
export function mapTiktokEvent(event: CanonicalEvent, ctx: MapContext<TiktokSettings>): MapResult {
  const eventName = ctx.platformEventName.trim();
  if (eventName === '') {
    return refuse('The TikTok event name is empty; fix the TikTok event map for this site.');
  }

  if (event.event_time >= LOOKS_LIKE_MILLISECONDS) {
    return refuse(
      `event_time ${event.event_time} looks like milliseconds; TikTok needs unix seconds, so the event was not sent (the sender must divide by 1000).`,
    );
  }
  const age = ctx.now - event.event_time;
  if (age > TIKTOK_MAX_EVENT_AGE_SECONDS - TIKTOK_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; LayerSync sends TikTok only events from the last 7 days, so it was not sent.`);
  }

  const commerce = event.commerce;
  if (commerce?.value !== undefined && commerce.currency === undefined) {
    // The canonical schema already requires it; a payload without it would sink the whole batch.
    return refuse('TikTok needs a currency whenever value is set, and this event has none (commerce.currency).');
  }

  const out: TiktokEvent = {
    event: eventName,
    // Browser clocks run ahead at times and TikTok's tolerance for future timestamps is
    // UNCONFIRMED; an event cannot have happened after the relay saw it, so clamp to now.
    event_time: Math.min(event.event_time, ctx.now),
    event_id: event.event_id,
    user: mapUser(event),
    // Limited Data Use (notes §4.7): the site's policy, or the visitor's own "do not sell" choice,
    // which is what restricted processing exists for. Always sent, as Segment does (T5), so
    // TikTok never has to guess.
    limited_data_use: restrictsProcessing(event, ctx.privacy),
  };

  const page: NonNullable<TiktokEvent['page']> = {};
  if (event.context.url !== undefined) page.url = event.context.url;
  if (event.context.referrer !== undefined && event.context.referrer !== '') page.referrer = event.context.referrer;
  if (Object.keys(page).length > 0) out.page = page;

  const properties = mapProperties(event);
  if (Object.keys(properties).length > 0) out.properties = properties;

  return { ok: true, payload: out };
}

function mapUser(event: CanonicalEvent): TiktokUser {
  const { identity, context } = event;
  const user: TiktokUser = {};
  // Email: trim + lowercase, then SHA-256 (T5, T6, T9) — the contract's `em` exactly. TikTok has
  // no Gmail rule, so neither em_google nor em_reddit applies.
  if (identity.em !== undefined) user.email = identity.em;
  // Phone: E.164 with its leading "+" and the country code, then SHA-256 (notes §4.3: Segment's
  // TikTok formatter, T5; our TikTok pixel's ttq.identify sends the same hash). That is the
  // contract's `ph_e164`. TikTok's own normalization text is UNCONFIRMED and RudderStack forwards
  // whatever it is given (T6), so without `ph_e164` (an older sender) the plain `ph` (digits
  // without "+") is still sent rather than nothing.
  const phone = identity.ph_e164 ?? identity.ph;
  if (phone !== undefined) user.phone = phone;
  if (identity.external_id !== undefined) user.external_id = identity.external_id;
  // fn/ln/zp use Meta's normalization (lowercase, letters and digits only); TikTok's exact rule
  // is UNCONFIRMED but integrators lowercase and strip whitespace before hashing (T5).
  if (identity.fn !== undefined) user.first_name = identity.fn;
  if (identity.ln !== undefined) user.last_name = identity.ln;
  if (identity.zp !== undefined) user.zip_code = identity.zp;
  // ct, st and country are not sent: TikTok wants them in plain text (T5), and the relay only
  // ever holds their hashes. ge and db have no TikTok field.
  const ttclid = identity.ttclid ?? ttclidFromUrl(context.url);
  if (ttclid !== undefined) user.ttclid = ttclid;
  if (identity.ttp !== undefined) user.ttp = identity.ttp;
  if (context.ip !== undefined) user.ip = context.ip;
  if (context.user_agent !== undefined) user.user_agent = context.user_agent;
  if (context.locale !== undefined) user.locale = context.locale;
  return user;
}

/** TikTok appends `?ttclid=` to ad landing URLs (notes §4.2); Segment reads it from the page URL too (T5). */
function ttclidFromUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const v = new URL(url).searchParams.get('ttclid');
    return v !== null && v !== '' ? v : undefined;
  } catch {
    return undefined;
  }
}

function mapProperties(event: CanonicalEvent): TiktokProperties {
  const props: TiktokProperties = {};
  const commerce = event.commerce;
  if (commerce !== undefined) {
    const items = commerce.items ?? [];
    if (items.length > 0) {
      props.contents = items.map((item) => {
        const content: TiktokContent = { content_id: item.id };
        if (item.name !== undefined && item.name !== '') content.content_name = item.name;
        if (item.category !== undefined && item.category !== '') content.content_category = item.category;
        if (item.price !== undefined) content.price = item.price;
        if (item.quantity !== undefined) content.quantity = item.quantity;
        if (item.brand !== undefined && item.brand !== '') content.brand = item.brand;
        return content;
      });
      // WooCommerce line items are products (a variation is still one product); TikTok
      // recommends content_type with contents, and missing it is a known pitfall (notes §4.4, §4.8).
      props.content_type = 'product';
    }
    if (commerce.value !== undefined) props.value = commerce.value;
    if (commerce.currency !== undefined) props.currency = commerce.currency;
    if (commerce.order_id !== undefined) props.order_id = commerce.order_id;
  }
  // GA4's `search` event carries its query as `search_term`; TikTok calls it `query` (T5, T6).
  const searchTerm = event.properties?.search_term;
  if (typeof searchTerm === 'string' && searchTerm !== '') props.query = searchTerm;
  return props;
}
