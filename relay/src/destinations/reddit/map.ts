/**
 * Canonical event → one element of the Reddit v3 `data.events` array. Pure: no I/O, no clock.
 *
 * Sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §4): R1
 * Reddit's v3 reference and migration guide (captured verbatim by Segment), R2 Segment's live v3
 * tests and code, R3 RudderStack/Freshpaint.
 *
 * Reddit refuses a whole v3 request for one invalid event ("There were N invalid conversion
 * events. None were processed.", R1), so this mapper checks everything Reddit is known to
 * validate and refuses the event, or leaves out an optional value it cannot vouch for, before it
 * can sink a batch.
 *
 * Identity. Reddit hashes its own canonical forms (R1):
 *   email: lowercase, dots removed from the local part, "+tag" removed → SHA-256
 *   phone: E.164 *with* the leading "+" → SHA-256
 * The contract hashes the email without removing dots or "+tags", and the phone without "+"
 * (docs/CONTRACT.md), and the relay cannot recompute a hash. Senders therefore add two variant
 * fields, declared by the contract:
 *   identity.em_reddit  SHA-256 of the Reddit-canonical email (alice@example.com for Al.ice+shop@Example.com)
 *   identity.ph_e164  SHA-256 of "+" followed by the E.164 digits (+15554441234)
 * Without em_reddit the contract's `em` is sent: it equals Reddit's hash whenever the local part
 * has no dot and no "+tag", which is most addresses. The contract's `ph` can never equal Reddit's
 * (the "+" differs), so without ph_e164 no phone is sent.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { isWebsiteVisit, itemCount, nonEmpty, refuse, restrictsProcessing } from '../shared/event.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import { REDDIT_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { RedditSettings } from './settings.js';

/** v3 standard tracking types (R1, UPPER_SNAKE_CASE). */
export const REDDIT_TRACKING_TYPES = [
  'PAGE_VISIT',
  'VIEW_CONTENT',
  'SEARCH',
  'ADD_TO_CART',
  'ADD_TO_WISHLIST',
  'PURCHASE',
  'LEAD',
  'SIGN_UP',
  'CUSTOM',
] as const;
export type RedditTrackingType = (typeof REDDIT_TRACKING_TYPES)[number];

/** v2.0 names (R1 migration table), accepted in a site's event map and sent as their v3 names. */
const V2_TRACKING_TYPES: Record<string, RedditTrackingType> = {
  PageVisit: 'PAGE_VISIT',
  ViewContent: 'VIEW_CONTENT',
  Search: 'SEARCH',
  AddToCart: 'ADD_TO_CART',
  AddToWishlist: 'ADD_TO_WISHLIST',
  Purchase: 'PURCHASE',
  Lead: 'LEAD',
  SignUp: 'SIGN_UP',
};

/**
 * Event types that carry currency and value, and those that also carry item_count (R2, after
 * Reddit's help article on event metadata): PAGE_VISIT, VIEW_CONTENT and SEARCH take neither;
 * LEAD and SIGN_UP take value but no item count.
 */
const TYPES_WITH_VALUE = new Set<RedditTrackingType>(['ADD_TO_CART', 'ADD_TO_WISHLIST', 'PURCHASE', 'LEAD', 'SIGN_UP', 'CUSTOM']);
const TYPES_WITH_ITEM_COUNT = new Set<RedditTrackingType>(['ADD_TO_CART', 'ADD_TO_WISHLIST', 'PURCHASE', 'CUSTOM']);

/** Custom event names are free-form, case-sensitive, at most 64 characters (R1). */
export const REDDIT_CUSTOM_EVENT_NAME_MAX = 64;

/**
 * action_source, required in v3 (R1): WEBSITE, APP, OTHER are confirmed; the offline value
 * (PHYSICAL_STORE) is inferred from the changelog, UNCONFIRMED, and not used.
 */
export type RedditActionSource = 'WEBSITE' | 'APP' | 'OTHER';

/** The variant identity fields senders add for Reddit (see the module comment). */
export const REDDIT_EMAIL_IDENTITY_FIELD = 'em_reddit';
export const REDDIT_PHONE_IDENTITY_FIELD = 'ph_e164';

export interface RedditProduct {
  id: string;
  name?: string;
  category?: string;
  quantity?: number;
  /** Major currency units, a double (R1). */
  item_price?: number;
}

export interface RedditMetadata {
  /** Shared with the Reddit Pixel's conversionId for deduplication (R1). */
  conversion_id: string;
  currency?: string;
  /** Major currency units, a double (R1: v3 `value`, v2 `value_decimal`). */
  value?: number;
  item_count?: number;
  products?: RedditProduct[];
}

export interface RedditUser {
  email?: string;
  phone_number?: string;
  external_id?: string;
  ip_address?: string;
  user_agent?: string;
  /** The Reddit Pixel's first-party id, `<ms timestamp>.<RFC 4122 UUID>` (R1 example; cookie `_rdt_uuid`). */
  uuid?: string;
  data_processing_options?: { modes: ['LDU']; country?: string; region?: string };
}

/** One element of `data.events` (R1). */
export interface RedditEvent {
  /** Unix milliseconds, an integer (R1: v3 changed event_at to epoch ms). */
  event_at: number;
  action_source: RedditActionSource;
  type: { tracking_type: RedditTrackingType; custom_event_name?: string };
  /** WEBSITE events only (R1). */
  event_source_url?: string;
  /** The `rdt_cid` landing-page parameter (R1). */
  click_id?: string;
  metadata: RedditMetadata;
  user?: RedditUser;
}

/** Events this close to Reddit's 7-day limit are refused: they would arrive too old and sink the batch. */
export const REDDIT_EVENT_AGE_MARGIN_SECONDS = 60;

const SHA256_HEX = /^[a-f0-9]{64}$/;
/** R1's example `1677712978045.b8f7eb7d-b357-437b-8bd3-e1c8166c7132`; R2 saw a 400 for a UUID part that was not RFC 4122. */
const RDT_UUID = /^\d{10,13}\.[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Reddit's type for an event-map value: a v3 standard type, a v2 name, or else a custom event name. */
export function redditEventType(platformEventName: string): RedditEvent['type'] | { error: string } {
  const name = platformEventName.trim();
  if ((REDDIT_TRACKING_TYPES as readonly string[]).includes(name)) {
    if (name === 'CUSTOM') return { error: 'the event map says CUSTOM without a name; map the event to the custom event\'s name instead' };
    return { tracking_type: name as RedditTrackingType };
  }
  const v2 = V2_TRACKING_TYPES[name];
  if (v2 !== undefined) return { tracking_type: v2 };
  if (name === '' || name.length > REDDIT_CUSTOM_EVENT_NAME_MAX) {
    return { error: `a custom event name must have 1 to ${REDDIT_CUSTOM_EVENT_NAME_MAX} characters, and "${name.slice(0, 80)}" does not` };
  }
  return { tracking_type: 'CUSTOM', custom_event_name: name };
}

/** Storefront events and visits with page URL + user agent are WEBSITE; anything else is OTHER. */
export function redditActionSource(event: CanonicalEvent): RedditActionSource {
  return isWebsiteVisit(event) ? 'WEBSITE' : 'OTHER';
}

/** Maps one canonical event to a Reddit v3 conversion event, or says why Reddit would refuse it. */
export function mapRedditEvent(event: CanonicalEvent, ctx: MapContext<RedditSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > REDDIT_MAX_EVENT_AGE_SECONDS - REDDIT_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; Reddit refuses events older than 7 days, so it was not sent.`);
  }
  const type = redditEventType(ctx.platformEventName);
  if ('error' in type) return refuse(`Reddit cannot take this event: ${type.error}.`);

  const actionSource = redditActionSource(event);
  const out: RedditEvent = {
    // Reddit v3 wants integer milliseconds; an event cannot have happened after the relay saw it.
    event_at: Math.min(event.event_time, ctx.now) * 1000,
    action_source: actionSource,
    type,
    metadata: mapMetadata(event, type.tracking_type),
  };
  const url = nonEmpty(event.context.url);
  if (actionSource === 'WEBSITE' && url !== undefined && /^https?:\/\//i.test(url)) out.event_source_url = url;
  const clickId = nonEmpty(event.identity.rdt_cid);
  if (clickId !== undefined) out.click_id = clickId;
  const user = mapUser(event, ctx);
  if (Object.keys(user).length > 0) out.user = user;

  return { ok: true, payload: out };
}

function mapMetadata(event: CanonicalEvent, trackingType: RedditTrackingType): RedditMetadata {
  // The relay's event_id is what the browser pixel gets as conversionId (R1 dedup).
  const metadata: RedditMetadata = { conversion_id: event.event_id };
  const commerce = event.commerce;
  if (commerce === undefined) return metadata;
  if (TYPES_WITH_VALUE.has(trackingType)) {
    if (commerce.currency !== undefined) metadata.currency = commerce.currency;
    if (commerce.value !== undefined) metadata.value = commerce.value;
  }
  const items = commerce.items ?? [];
  if (items.length > 0) {
    if (TYPES_WITH_ITEM_COUNT.has(trackingType)) metadata.item_count = itemCount(items);
    metadata.products = items.map((item) => {
      const product: RedditProduct = { id: item.id };
      if (nonEmpty(item.name) !== undefined) product.name = item.name;
      if (nonEmpty(item.category) !== undefined) product.category = item.category;
      if (item.quantity !== undefined) product.quantity = item.quantity;
      if (item.price !== undefined) product.item_price = item.price;
      return product;
    });
  }
  return metadata;
}

function mapUser(event: CanonicalEvent, ctx: MapContext<RedditSettings>): RedditUser {
  const { identity } = event;
  const variant = identity as Record<string, unknown>;
  const user: RedditUser = {};
  const email = hashOrUndefined(variant[REDDIT_EMAIL_IDENTITY_FIELD]) ?? identity.em;
  if (email !== undefined) user.email = email;
  const phone = hashOrUndefined(variant[REDDIT_PHONE_IDENTITY_FIELD]);
  if (phone !== undefined) user.phone_number = phone;
  // Reddit takes the external id hashed or not (R1); the contract's hash is what the pixel must get too.
  if (identity.external_id !== undefined) user.external_id = identity.external_id;
  const ip = nonEmpty(event.context.ip);
  if (ip !== undefined) user.ip_address = ip;
  const ua = nonEmpty(event.context.user_agent);
  if (ua !== undefined) user.user_agent = ua;
  // A malformed uuid fails the whole request (R2), so one that is not Reddit's format is left out.
  const uuid = nonEmpty(identity.rdt_uuid)?.trim();
  if (uuid !== undefined && RDT_UUID.test(uuid)) user.uuid = uuid;

  // R1 "Opt out (LDU)": the site's policy or the visitor's "do not sell" choice. Country is ISO
  // 3166-1 alpha-2 and region ISO 3166-2 ("US-CA", R1's example); without them Reddit geolocates.
  if (restrictsProcessing(event, ctx.privacy)) {
    const dpo: NonNullable<RedditUser['data_processing_options']> = { modes: ['LDU'] };
    const country = ctx.privacy?.lduCountry?.trim().toUpperCase();
    const state = ctx.privacy?.lduState?.trim().toUpperCase();
    if (country !== undefined && /^[A-Z]{2}$/.test(country)) {
      dpo.country = country;
      if (state !== undefined && /^[A-Z0-9]{1,3}$/.test(state)) dpo.region = `${country}-${state}`;
    }
    user.data_processing_options = dpo;
  }
  return user;
}

/** A variant identity value is used only when it is the 64-char lowercase hex the contract requires of every hash. */
function hashOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && SHA256_HEX.test(value) ? value : undefined;
}
