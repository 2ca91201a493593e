/**
 * Canonical event → one element of the Snap Conversions API `data` array. Pure: no I/O, no clock.
 *
 * Sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §2): S1
 * "Using the API", S2 "Parameters", S3 "Verify Set Up", S5 Snap's business SDK OpenAPI, S6
 * third-party schemas (api-evangelist, LiveRamp, Freshpaint, Segment).
 *
 * Snap refuses a whole production request for one invalid event (S3 lists the reasons: a missing
 * required field, a PURCHASE without price or currency, a hashed IP, a timestamp out of range,
 * unhashed PII, too little PII), so this mapper refuses such an event up front.
 *
 * Hashed identity values pass through as the relay received them; the contract's normalization
 * (docs/CONTRACT.md) matches Snap's (S2): email trimmed and lowercased; phone with country code,
 * no leading 00 or trunk 0, digits only without '+' (Snap's example +44 844 412 4653 →
 * 448444124653 is exactly the contract's E.164-without-plus); names lowercased without
 * punctuation, accents kept in UTF-8.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { hashedIdentityLists, isWebsiteVisit, itemCount, nonEmpty, refuse, restrictsProcessing } from '../shared/event.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import { SNAP_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { SnapchatSettings } from './settings.js';

/**
 * Event names Snap v3 accepts: the standard list from S2 as copied by S6 (api-evangelist's
 * schema and LiveRamp's list). UNCONFIRMED beyond that copy; v3 also takes legacy v2 names (S1).
 */
export const SNAP_EVENT_NAMES = [
  'PAGE_VIEW',
  'VIEW_CONTENT',
  'ADD_CART',
  'ADD_TO_WISHLIST',
  'SIGN_UP',
  'SEARCH',
  'PURCHASE',
  'ADD_BILLING',
  'START_CHECKOUT',
  'SUBSCRIBE',
  'START_TRIAL',
  'LIST_VIEW',
  'SAVE',
  'SHARE',
  'INVITE',
  'LOGIN',
  'RESERVE',
  'RATE',
  'AD_CLICK',
  'AD_VIEW',
  'COMPLETE_TUTORIAL',
  'LEVEL_COMPLETE',
  'ACHIEVEMENT_UNLOCKED',
  'SPENT_CREDITS',
  'APP_INSTALL',
  'APP_OPEN',
  'CUSTOM_EVENT_1',
  'CUSTOM_EVENT_2',
  'CUSTOM_EVENT_3',
  'CUSTOM_EVENT_4',
  'CUSTOM_EVENT_5',
] as const;

/**
 * action_source values. Snap's own examples show MOBILE_APP (S1); WEB and OFFLINE come from
 * third-party integrations (S6, Freshpaint: "WEB OFFLINE MOBILE_APP"). UNCONFIRMED exact set;
 * Segment once sent lower-case `website`, which is why test mode uses /events/validate.
 */
export const SNAP_ACTION_SOURCES = ['WEB', 'MOBILE_APP', 'OFFLINE'] as const;
export type SnapActionSource = (typeof SNAP_ACTION_SOURCES)[number];

/**
 * user_data keys Snap wants as SHA-256 hex, sent as lists (S2: "string or list of strings"; S5
 * types them as lists). external_id is in S6's schema only (UNCONFIRMED); date of birth is in
 * none of Snap's lists, so `db` is not sent.
 */
export const SNAP_HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'ct', 'st', 'zp', 'country', 'external_id'] as const;
type SnapHashedKey = (typeof SNAP_HASHED_KEYS)[number];

export type SnapUserData = Partial<Record<SnapHashedKey, string[]>> & {
  /** Raw, never hashed: Snap refuses a hashed IP (S3). */
  client_ip_address?: string;
  client_user_agent?: string;
  /** The Snap click id from the landing page's `ScCid` (or `sccid`) parameter (S6 Freshpaint). */
  sc_click_id?: string;
  /** The value of the Snap Pixel's first-party `_scid` cookie (S5 field; link to the cookie per the notes, UNCONFIRMED). */
  sc_cookie1?: string;
};

/** A product (S5 Content: every field is a string, quantity and item_price included). */
export interface SnapContent {
  id: string;
  quantity?: string;
  item_price?: string;
}

export interface SnapCustomData {
  currency?: string;
  /** A number (S5; S1's example shows a string, S5 and the notes say number). */
  value?: number;
  content_ids?: string[];
  contents?: SnapContent[];
  num_items?: number;
  order_id?: string;
  search_string?: string;
}

/** One element of the request's `data` array (S1, S5 CapiEvent). */
export interface SnapEvent {
  event_name: string;
  /** Unix seconds (S1 examples; Segment's milliseconds bug, S6). */
  event_time: number;
  action_source: SnapActionSource;
  /** Matches the Snap Pixel's client_dedup_id (S4). */
  event_id: string;
  event_source_url?: string;
  user_data: SnapUserData;
  custom_data?: SnapCustomData;
  /** ["LMU"]: Limited Use of the data (S2 "LMU"). */
  data_processing_options?: ['LMU'];
}

/** Events this close to Snap's 37-day limit are refused: they would arrive too old. */
export const SNAP_EVENT_AGE_MARGIN_SECONDS = 60;

/** The contract's identity field for the `_scid` cookie (docs/CONTRACT.md), sent as sc_cookie1. */
export const SNAP_COOKIE_IDENTITY_FIELD = 'sc_cookie1';

/** Storefront events and visits with page URL + user agent are WEB; anything else happened without a site visit. */
export function snapActionSource(event: CanonicalEvent): SnapActionSource {
  return isWebsiteVisit(event) ? 'WEB' : 'OFFLINE';
}

/** Maps one canonical event to a Snap Conversions API event, or says why Snap would refuse it. */
export function mapSnapchatEvent(event: CanonicalEvent, ctx: MapContext<SnapchatSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > SNAP_MAX_EVENT_AGE_SECONDS - SNAP_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; Snapchat refuses events older than 37 days, so it was not sent.`);
  }
  if (!(SNAP_EVENT_NAMES as readonly string[]).includes(ctx.platformEventName)) {
    return refuse(`"${ctx.platformEventName}" is not a Snapchat event name; use one of PAGE_VIEW, VIEW_CONTENT, ADD_CART, PURCHASE, SIGN_UP, … or CUSTOM_EVENT_1 to CUSTOM_EVENT_5 in the event map.`);
  }

  const actionSource = snapActionSource(event);
  const url = nonEmpty(event.context.url);
  const ip = nonEmpty(event.context.ip);
  const ua = nonEmpty(event.context.user_agent);
  if (actionSource === 'WEB' && url === undefined) {
    return refuse('Snapchat requires the page URL (event_source_url) for web events and this event has none (context.url is empty).');
  }

  const { identity } = event;
  const userData: SnapUserData = hashedIdentityLists(identity, SNAP_HASHED_KEYS);
  if (ip !== undefined) userData.client_ip_address = ip;
  if (ua !== undefined) userData.client_user_agent = ua;
  const clickId = nonEmpty(identity.scid);
  if (clickId !== undefined) userData.sc_click_id = clickId;
  const cookie = (identity as Record<string, unknown>)[SNAP_COOKIE_IDENTITY_FIELD];
  if (typeof cookie === 'string' && cookie.trim() !== '' && cookie.length <= 512) userData.sc_cookie1 = cookie;

  // S1: matching needs em, ph, or client_ip_address with client_user_agent (or a mobile ad id,
  // which a shop does not have). S3: "Insufficient PII" fails the request.
  if (userData.em === undefined && userData.ph === undefined && (ip === undefined || ua === undefined)) {
    return refuse(
      'Snapchat needs the hashed email or phone (identity.em, identity.ph) or both the visitor\'s IP address and user agent (context.ip, context.user_agent), and this event has none of them.',
    );
  }

  const customData = mapCustomData(event, ctx.platformEventName);
  if (ctx.platformEventName === 'PURCHASE' && (customData.value === undefined || customData.currency === undefined)) {
    return refuse('Snapchat requires a price and currency on PURCHASE events and this purchase has none (commerce.value / commerce.currency).');
  }

  const out: SnapEvent = {
    event_name: ctx.platformEventName,
    // Snap refuses timestamps out of range (S3); an event cannot have happened after the relay saw it.
    event_time: Math.min(event.event_time, ctx.now),
    action_source: actionSource,
    event_id: event.event_id,
    user_data: userData,
  };
  if (url !== undefined) out.event_source_url = url;
  if (Object.keys(customData).length > 0) out.custom_data = customData;
  // S2 LMU: the site's Limited Data Use policy, or the visitor's "do not sell" choice.
  if (restrictsProcessing(event, ctx.privacy)) out.data_processing_options = ['LMU'];

  return { ok: true, payload: out };
}

function mapCustomData(event: CanonicalEvent, platformEventName: string): SnapCustomData {
  const custom: SnapCustomData = {};
  const commerce = event.commerce;
  if (commerce !== undefined) {
    if (commerce.currency !== undefined) custom.currency = commerce.currency;
    if (commerce.value !== undefined) custom.value = commerce.value;
    if (commerce.order_id !== undefined) custom.order_id = commerce.order_id;
    const items = commerce.items ?? [];
    if (items.length > 0) {
      custom.content_ids = items.map((item) => item.id);
      custom.contents = items.map((item) => {
        const content: SnapContent = { id: item.id };
        if (item.quantity !== undefined) content.quantity = String(item.quantity);
        if (item.price !== undefined) content.item_price = decimalString(item.price);
        return content;
      });
      custom.num_items = itemCount(items);
    }
  }
  const searchTerm = event.properties?.search_term;
  if (platformEventName === 'SEARCH' && typeof searchTerm === 'string' && searchTerm.trim() !== '') custom.search_string = searchTerm;
  return custom;
}

/** 12.5 → "12.5", 0.1 + 0.2 → "0.3": a price as text without float noise. */
function decimalString(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
