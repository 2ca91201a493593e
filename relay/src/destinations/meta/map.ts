/**
 * Canonical event → one element of the Conversions API `data` array. Pure: no I/O, no clock
 * (ctx.now), no settings beyond what is passed in.
 *
 * Sources (see /work/shared/platforms/meta-ga4-googleads-tiktok.md §1): S2 server event
 * parameters, S3 customer information parameters, S4 custom data, S5 fbc/fbp, S7 best
 * practices (required parameters per action_source, matching floor), S12 data processing options.
 *
 * `properties` are free-form and may hold anything a site chose to track, so they are not
 * forwarded, except GA4's `search_term` as Meta's search_string. Hashed identity values pass
 * through as the relay received them (SHA-256 of the normalized value, see docs/CONTRACT.md);
 * external_id is hashed there too; Meta asks that it match what the browser pixel receives (S3),
 * so a pixel on the same site must be given the same hash.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { hashedIdentityLists, isWebsiteVisit, itemCount, nonEmpty, refuse, restrictsProcessing } from '../shared/event.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import { META_MAX_EVENT_AGE_SECONDS } from './api.js';
import type { MetaSettings } from './settings.js';

/** Every action_source Meta accepts (S2). */
export const META_ACTION_SOURCES = [
  'email',
  'website',
  'app',
  'phone_call',
  'chat',
  'physical_store',
  'system_generated',
  'business_messaging',
  'other',
] as const;
export type MetaActionSource = (typeof META_ACTION_SOURCES)[number];

/** user_data keys Meta wants as SHA-256 hex (S3). The relay receives them already hashed. */
export const META_HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'] as const;
type MetaHashedKey = (typeof META_HASHED_KEYS)[number];

/** Meta's `user_data`. Hashed keys are sent as arrays (S3 accepts a string or a list). */
export type MetaUserData = Partial<Record<MetaHashedKey, string[]>> & {
  /** Never hashed (S3). */
  client_ip_address?: string;
  /** Never hashed; required for website events (S7). */
  client_user_agent?: string;
  /** Never hashed; `fb.{subdomainIndex}.{creationTimeMs}.{fbclid}` (S5). */
  fbc?: string;
  /** Never hashed; `fb.{subdomainIndex}.{creationTimeMs}.{random}` (S5). */
  fbp?: string;
};

export interface MetaContent {
  id: string;
  quantity?: number;
  item_price?: number;
}

/** Meta's `custom_data` standard parameters that LayerSync fills (S4). */
export interface MetaCustomData {
  value?: number;
  currency?: string;
  order_id?: string;
  contents?: MetaContent[];
  content_ids?: string[];
  content_type?: 'product';
  num_items?: number;
  search_string?: string;
}

/** One server event, as it appears in the request's `data` array (S2). */
export interface MetaServerEvent {
  event_name: string;
  /** Unix seconds. */
  event_time: number;
  event_id: string;
  action_source: MetaActionSource;
  event_source_url?: string;
  referrer_url?: string;
  user_data: MetaUserData;
  custom_data?: MetaCustomData;
  data_processing_options?: ['LDU'];
  /** 1 = USA, 0 = let Meta geolocate (S2, S12). */
  data_processing_options_country?: 0 | 1;
  /** 1000 = California, 0 = let Meta geolocate (S2, S12). */
  data_processing_options_state?: 0 | 1000;
}

/**
 * Meta treats an event as invalid when its user_data holds only one of these combinations or a
 * subset of one (S7 "matching floor"; surfaced as error subcode 2804050). Sending it would sink
 * the whole batch, so the mapper refuses it up front.
 */
const WEAK_USER_DATA_COMBINATIONS: readonly (readonly string[])[] = [
  ['ct', 'country', 'st', 'zp', 'ge', 'client_user_agent'],
  ['db', 'client_user_agent'],
  ['fn', 'ge'],
  ['ln', 'ge'],
];

/** True when user_data carries enough customer information for Meta to accept the event (S7). */
export function hasEnoughCustomerInformation(userData: MetaUserData): boolean {
  const keys = Object.keys(userData);
  if (keys.length === 0) return false;
  return !WEAK_USER_DATA_COMBINATIONS.some((combo) => keys.every((k) => combo.includes(k)));
}

/**
 * Events within this many seconds of Meta's 7-day limit are refused: they are mapped now but
 * reach Meta a moment later, and one too-old event rejects its whole request (S2).
 */
export const META_EVENT_AGE_MARGIN_SECONDS = 60;

const FBC_OR_FBP = /^fb\.\d+\.\d+\.\S+$/;

/**
 * Where the conversion happened, which Meta asks the sender to state accurately (S1, S2):
 * - `browser` and `server` events come from the storefront — the tracker, or WooCommerce hooks
 *   reporting what the shopper just did at checkout — so they are `website` events.
 * - `webhook` and `sdk` events come from other systems (a payment provider confirming a charge, a
 *   subscription renewal, the merchant's own backend). When they carry the page URL and the
 *   shopper's user agent they describe a website visit and stay `website`; otherwise nobody was
 *   on the site: webhooks are `system_generated` (automatic, like a renewal) and SDK calls are
 *   `other`, because LayerSync cannot know which channel the merchant's backend saw.
 */
export function metaActionSource(event: CanonicalEvent): MetaActionSource {
  if (isWebsiteVisit(event)) return 'website';
  return event.source === 'webhook' ? 'system_generated' : 'other';
}

/** Maps one canonical event to a Conversions API server event, or says why Meta would refuse it. */
export function mapMetaEvent(event: CanonicalEvent, ctx: MapContext<MetaSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > META_MAX_EVENT_AGE_SECONDS - META_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; Meta refuses events older than 7 days, so it was not sent.`);
  }

  const actionSource = metaActionSource(event);
  const { identity } = event;
  // The contract allows empty strings here; Meta wants absent keys, not empty ones.
  const context = {
    url: nonEmpty(event.context.url),
    referrer: nonEmpty(event.context.referrer),
    user_agent: nonEmpty(event.context.user_agent),
    ip: nonEmpty(event.context.ip),
  };

  if (actionSource === 'website') {
    if (context.user_agent === undefined) {
      return refuse(
        'Meta requires the visitor\'s browser user agent (client_user_agent) for website events and this event has none (context.user_agent is empty). Server-side events must copy the shopper\'s user agent from their request.',
      );
    }
    if (context.url === undefined) {
      return refuse('Meta requires the page URL (event_source_url) for website events and this event has none (context.url is empty).');
    }
  }

  const userData: MetaUserData = hashedIdentityLists(identity, META_HASHED_KEYS);
  if (context.ip !== undefined) userData.client_ip_address = context.ip;
  if (context.user_agent !== undefined) userData.client_user_agent = context.user_agent;
  // A malformed click/browser id would make Meta refuse the whole request; the event is still
  // worth sending without it.
  if (identity.fbc !== undefined && FBC_OR_FBP.test(identity.fbc)) userData.fbc = identity.fbc;
  if (identity.fbp !== undefined && FBC_OR_FBP.test(identity.fbp)) userData.fbp = identity.fbp;

  if (!hasEnoughCustomerInformation(userData)) {
    const present = Object.keys(userData);
    return refuse(
      `Meta would refuse this event for insufficient customer information (${
        present.length === 0 ? 'none at all' : `only ${present.join(', ')}`
      }; Meta error 2804050). It needs at least the visitor's IP address with the user agent, or an email, phone, external id, fbp or fbc.`,
    );
  }

  const customData = mapCustomData(event, ctx.platformEventName);
  if (ctx.platformEventName === 'Purchase' && (customData.value === undefined || customData.currency === undefined)) {
    return refuse('Meta requires value and currency on Purchase events and this purchase has none (commerce.value / commerce.currency).');
  }

  const out: MetaServerEvent = {
    event_name: ctx.platformEventName,
    // Browser clocks run ahead at times and Meta refuses future timestamps (tolerance UNCONFIRMED);
    // an event cannot have happened after the relay received it, so clamp to now.
    event_time: Math.min(event.event_time, ctx.now),
    event_id: event.event_id,
    action_source: actionSource,
    user_data: userData,
  };
  if (context.url !== undefined) out.event_source_url = context.url;
  if (context.referrer !== undefined) out.referrer_url = context.referrer;
  if (Object.keys(customData).length > 0) out.custom_data = customData;

  // Limited Data Use (S2, S12): the site's policy, or the visitor's own "do not sell" choice.
  // Meta documents only country 1 (USA) and state 1000 (California); 0 lets Meta geolocate.
  if (restrictsProcessing(event, ctx.privacy)) {
    const country = ctx.privacy?.lduCountry?.toUpperCase();
    const state = ctx.privacy?.lduState?.toUpperCase();
    out.data_processing_options = ['LDU'];
    out.data_processing_options_country = country === 'US' ? 1 : 0;
    out.data_processing_options_state = country === 'US' && state === 'CA' ? 1000 : 0;
  }

  return { ok: true, payload: out };
}

function mapCustomData(event: CanonicalEvent, platformEventName: string): MetaCustomData {
  const custom: MetaCustomData = {};
  const commerce = event.commerce;
  if (commerce !== undefined) {
    if (commerce.value !== undefined) custom.value = commerce.value;
    if (commerce.currency !== undefined) custom.currency = commerce.currency;
    if (commerce.order_id !== undefined) custom.order_id = commerce.order_id;
    const items = commerce.items ?? [];
    if (items.length > 0) {
      custom.contents = items.map((item) => {
        const content: MetaContent = { id: item.id };
        if (item.quantity !== undefined) content.quantity = item.quantity;
        if (item.price !== undefined) content.item_price = item.price;
        return content;
      });
      custom.content_ids = items.map((item) => item.id);
      custom.content_type = 'product';
      // Meta documents num_items for InitiateCheckout only (S4).
      if (platformEventName === 'InitiateCheckout') {
        custom.num_items = itemCount(items);
      }
    }
  }
  // GA4's `search` event carries its query as `search_term`; Meta calls it search_string (S4).
  const searchTerm = event.properties?.search_term;
  if (platformEventName === 'Search' && typeof searchTerm === 'string' && searchTerm !== '') {
    custom.search_string = searchTerm;
  }
  return custom;
}
