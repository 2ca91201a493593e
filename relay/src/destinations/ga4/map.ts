/**
 * Pure mapping: one canonical event → one GA4 event plus the request-level fields it must be sent
 * with. `send` groups payloads whose request-level fields are identical into one request (GA4
 * requests are per client). Facts cite /work/shared/platforms/meta-ga4-googleads-tiktok.md §2
 * (G1 reference, G2 sending events, G5 user-provided data, G6 transaction-ID dedup, G7 naming
 * rules, G8 collection limits, G9 recommended events).
 */
import { createHash } from 'node:crypto';
import type { CanonicalEvent, StandardEventName } from '../../contract/event.js';
import type { MapContext, MapResult } from '../types.js';
import {
  GA4_LIMITS,
  GA4_LONG_PARAM_LIMITS,
  GA4_MAX_EVENT_AGE_SECONDS,
  GA4_NAME_PATTERN,
  GA4_RESERVED_EVENT_NAMES,
  GA4_RESERVED_EVENT_PREFIXES,
  GA4_RESERVED_PARAM_NAMES,
  GA4_RESERVED_PREFIXES,
} from './api.js';
import type { Ga4Settings } from './settings.js';

/**
 * Canonical names are GA4's own recommended-event names (G9), so the map is mostly identity.
 * `subscribe` and `start_trial` have no GA4 recommended event and `custom:<name>` events have
 * no default: a site maps them explicitly if it wants them in GA4.
 */
export const GA4_DEFAULT_EVENT_MAP: Partial<Record<StandardEventName, string>> = {
  page_view: 'page_view',
  view_item: 'view_item',
  view_item_list: 'view_item_list',
  search: 'search',
  add_to_cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  view_cart: 'view_cart',
  begin_checkout: 'begin_checkout',
  add_shipping_info: 'add_shipping_info',
  add_payment_info: 'add_payment_info',
  purchase: 'purchase',
  refund: 'refund',
  sign_up: 'sign_up',
  // GA4's lead event; its exact recommended parameter list is UNCONFIRMED (notes §2.5).
  lead: 'generate_lead',
};

export type Ga4ConsentState = 'GRANTED' | 'DENIED';

/** Request-level `consent` (G1): only these two types exist in the Measurement Protocol. */
export interface Ga4Consent {
  ad_user_data: Ga4ConsentState;
  ad_personalization: Ga4ConsentState;
}

/** User-provided data (G5). Only the fields the canonical event can fill correctly are typed. */
export interface Ga4UserData {
  sha256_email_address?: string[];
  sha256_phone_number?: string[];
}

/** Fields that belong to the whole request; events sharing them may share a request. */
export interface Ga4RequestFields {
  client_id: string;
  user_id?: string;
  consent?: Ga4Consent;
  user_data?: Ga4UserData;
  /** IP used only to derive geography (G1), so server-sent events are not placed at the relay's data centre. */
  ip_override?: string;
}

export interface Ga4Item {
  item_id: string;
  item_name?: string;
  item_brand?: string;
  item_category?: string;
  item_variant?: string;
  price?: number;
  quantity?: number;
}

export type Ga4ParamValue = string | number | Ga4Item[];

export interface Ga4Event {
  name: string;
  /** Per-event time; overrides any request-level timestamp (G1), so events of different times can share a request. */
  timestamp_micros: number;
  params: Record<string, Ga4ParamValue>;
}

/** What `map` returns and `send` consumes (stored by the worker between the two: plain JSON). */
export interface Ga4Payload {
  request: Ga4RequestFields;
  event: Ga4Event;
}

/**
 * Engagement time sent with every event. G2: events need `engagement_time_msec` (and
 * `session_id`) to count as user activity and show in Realtime. A server event has no measured
 * engagement, so the smallest positive value is sent: it marks the user active without adding
 * engagement time the visitor did not spend.
 */
export const GA4_SERVER_ENGAGEMENT_TIME_MSEC = 1;

/**
 * The client id from `identity.ga_client_id`: the `_ga` cookie (`GA1.1.<random>.<timestamp>`)
 * or the bare id. GA4 joins an event to the browser's user and session only when client_id
 * is exactly gtag's id (notes §2.2, §2.9), i.e. the cookie's last two dot-separated parts.
 * Returns undefined for a value that is not in that shape.
 */
export function parseGaClientId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /(?:^|\.)(\d{1,20})\.(\d{1,20})$/.exec(value.trim());
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/**
 * The session id from `identity.ga_session_id`: a bare number, or the `_ga_<container>` cookie in
 * its older `GS1.1.<session_id>.<n>…` or newer `GS2.1.s<session_id>$o<n>…` form (the cookie
 * formats are observed, not documented by Google: UNCONFIRMED). Undefined when none can be read.
 */
export function parseGaSessionId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,20}$/.test(v)) return v;
  const gs1 = /^GS1\.\d+\.(\d{1,20})(?:\.|$)/.exec(v);
  if (gs1) return gs1[1];
  const gs2 = /^GS2\.\d+\.(?:.*\$)?s(\d{1,20})(?:\$|$)/.exec(v);
  return gs2 ? gs2[1] : undefined;
}

/**
 * A stand-in client id for events that carry no `_ga` id (server-only flows, webhooks, blocked
 * cookies). A web stream's request must have a client_id (G1, G2), so one is needed. It is
 * derived from event_id (and event_time) rather than random so every retry or replay of the same
 * event carries the same id: GA4 deduplicates purchases by transaction_id for the same user (G6),
 * and a fresh random id per attempt would create a new user each time. Same shape as gtag's id
 * (31-bit random part "." unix seconds). Cost, by necessity: such events start a new user in GA4
 * and cannot be joined to the browser session that led to them.
 */
export function derivedClientId(eventId: string, eventTime: number): string {
  const digest = createHash('sha256').update(`layersync-ga4-client:${eventId}`, 'utf8').digest();
  return `${digest.readUInt32BE(0) & 0x7fffffff}.${eventTime}`;
}

/** Why a name breaks GA4's naming rules (G7), or undefined when it is valid. */
export function ga4NameViolation(kind: 'event' | 'parameter', name: string): string | undefined {
  if (name.length === 0) return `${kind} name is empty`;
  if (name.length > (kind === 'event' ? GA4_LIMITS.eventNameLength : GA4_LIMITS.paramNameLength)) {
    return `${kind} name "${name}" is longer than ${kind === 'event' ? GA4_LIMITS.eventNameLength : GA4_LIMITS.paramNameLength} characters`;
  }
  const prefix = GA4_RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${kind} name "${name}" starts with the reserved prefix "${prefix}"`;
  if (!GA4_NAME_PATTERN.test(name)) {
    return `${kind} name "${name}" must start with a letter and contain only letters, digits and "_"`;
  }
  if (kind === 'event') {
    const family = GA4_RESERVED_EVENT_PREFIXES.find((p) => name.startsWith(p));
    if (GA4_RESERVED_EVENT_NAMES.has(name) || family) return `event name "${name}" is reserved by Google Analytics`;
  } else if (GA4_RESERVED_PARAM_NAMES.has(name)) {
    return `parameter name "${name}" is reserved by Google Analytics (the relay sets it itself where it applies)`;
  }
  return undefined;
}

function charLength(s: string): number {
  return Array.from(s).length;
}

/** Cuts descriptive text to GA4's limit without splitting a surrogate pair. GA4 truncates such values itself (G8). */
function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

const consentState = (granted: boolean): Ga4ConsentState => (granted ? 'GRANTED' : 'DENIED');

/** Events GA4 deduplicates on transaction_id; an empty or missing id collapses them all (G6, G9). */
const TRANSACTION_EVENTS: ReadonlySet<string> = new Set(['purchase', 'refund']);

/**
 * Maps one canonical event. Returns `{ok:false, skip:false}` — recorded, not forwarded — for
 * anything GA4 would silently discard (naming rules, limits, a purchase without transaction id,
 * an event older than 72 h), because the production endpoint reports none of it (G1).
 */
export function mapToGa4(event: CanonicalEvent, ctx: MapContext<Ga4Settings>): MapResult {
  const problems: string[] = [];
  const name = ctx.platformEventName;
  const nameProblem = ga4NameViolation('event', name);
  if (nameProblem) problems.push(nameProblem);

  // G1/G4: timestamp_micros may backdate at most 72 hours and must not be in the future. A
  // clock running ahead of ours is clamped to now rather than rejected.
  const age = ctx.now - event.event_time;
  if (age > GA4_MAX_EVENT_AGE_SECONDS) {
    problems.push(
      `event is ${Math.floor(age / 3600)} h old; GA4 accepts events at most ${GA4_MAX_EVENT_AGE_SECONDS / 3600} h in the past`,
    );
  }
  const timestampMicros = Math.min(event.event_time, ctx.now) * 1_000_000;

  const params: Record<string, Ga4ParamValue> = {};
  const c = event.commerce;
  if (c) {
    if (c.currency !== undefined) params.currency = c.currency;
    if (c.value !== undefined) params.value = c.value;
    if (c.order_id !== undefined) {
      if (charLength(c.order_id) > GA4_LIMITS.paramValueLength) {
        problems.push(`transaction_id (order_id) is longer than ${GA4_LIMITS.paramValueLength} characters`);
      } else {
        params.transaction_id = c.order_id;
      }
    }
    if (c.tax !== undefined) params.tax = c.tax;
    if (c.shipping !== undefined) params.shipping = c.shipping;
    if (c.coupon !== undefined) {
      if (charLength(c.coupon) > GA4_LIMITS.paramValueLength) {
        problems.push(`coupon is longer than ${GA4_LIMITS.paramValueLength} characters`);
      } else {
        params.coupon = c.coupon;
      }
    }
    if (c.items !== undefined && c.items.length > 0) {
      const items: Ga4Item[] = [];
      c.items.forEach((it, i) => {
        // Ids are matched, not read: cutting one could merge two products, so it is an error.
        if (charLength(it.id) > GA4_LIMITS.paramValueLength) {
          problems.push(`items[${i}].item_id is longer than ${GA4_LIMITS.paramValueLength} characters`);
          return;
        }
        const item: Ga4Item = { item_id: it.id };
        const max = GA4_LIMITS.paramValueLength;
        if (it.name !== undefined && it.name !== '') item.item_name = clip(it.name, max);
        if (it.brand !== undefined && it.brand !== '') item.item_brand = clip(it.brand, max);
        if (it.category !== undefined && it.category !== '') item.item_category = clip(it.category, max);
        if (it.variant !== undefined && it.variant !== '') item.item_variant = clip(it.variant, max);
        if (it.price !== undefined) item.price = it.price;
        if (it.quantity !== undefined) item.quantity = it.quantity;
        items.push(item);
      });
      params.items = items;
    }
  }
  if (TRANSACTION_EVENTS.has(name) && params.transaction_id === undefined && !problems.some((p) => p.startsWith('transaction_id'))) {
    problems.push(`${name} needs commerce.order_id: GA4 requires transaction_id and deduplicates on it`);
  }

  if (event.context.url !== undefined) params.page_location = clip(event.context.url, GA4_LONG_PARAM_LIMITS.page_location!);
  if (event.context.referrer !== undefined && event.context.referrer !== '') {
    params.page_referrer = clip(event.context.referrer, GA4_LONG_PARAM_LIMITS.page_referrer!);
  }

  // G2: session_id + engagement_time_msec keep a server-sent event (a purchase confirmed by a
  // payment webhook) in the browser's session, so it keeps that session's source/medium.
  const sessionId = parseGaSessionId(event.identity.ga_session_id);
  if (sessionId !== undefined) params.session_id = sessionId;
  params.engagement_time_msec = GA4_SERVER_ENGAGEMENT_TIME_MSEC;

  for (const [key, raw] of Object.entries(event.properties ?? {})) {
    if (raw === null) continue;
    const bad = ga4NameViolation('parameter', key);
    if (bad) {
      problems.push(`properties.${key}: ${bad}`);
      continue;
    }
    // Structured data wins over a free-form property of the same name (e.g. properties.value).
    if (Object.prototype.hasOwnProperty.call(params, key)) continue;
    if (typeof raw === 'string') {
      const max = GA4_LONG_PARAM_LIMITS[key] ?? GA4_LIMITS.paramValueLength;
      if (charLength(raw) > max) {
        problems.push(`properties.${key} is ${charLength(raw)} characters; GA4 keeps at most ${max}`);
        continue;
      }
      params[key] = raw;
    } else if (typeof raw === 'boolean') {
      // GA4 parameters have no boolean type; gtag.js sends booleans as "true"/"false" strings.
      params[key] = raw ? 'true' : 'false';
    } else {
      params[key] = raw;
    }
  }
  const paramCount = Object.keys(params).length;
  if (paramCount > GA4_LIMITS.paramsPerEvent) {
    problems.push(`event has ${paramCount} parameters; GA4 keeps at most ${GA4_LIMITS.paramsPerEvent} per event`);
  }

  if (problems.length > 0) return { ok: false, skip: false, reason: `GA4: ${problems.join('; ')}` };

  const request: Ga4RequestFields = {
    client_id: parseGaClientId(event.identity.ga_client_id) ?? derivedClientId(event.event_id, event.event_time),
  };
  // user_id is optional and "recommended whenever user_data is sent" (G5; notes §2.2). The
  // canonical external_id is already a SHA-256 of the site's own customer id, so it carries no
  // readable personal data, which GA's policies forbid in user_id. 64 hex chars ≤ 256 (G8).
  if (event.identity.external_id !== undefined) request.user_id = event.identity.external_id;
  const consent = event.consent;
  if (consent) {
    // "Do not sell or share" opts the visitor out of ad personalization whatever the banner said.
    request.consent = {
      ad_user_data: consentState(consent.ad_user_data === 'granted'),
      ad_personalization: consentState(consent.ad_personalization === 'granted' && !consent.do_not_sell),
    };
  }
  // user_data goes to Google for ads measurement, so it needs ad_user_data consent; without a
  // consent snapshot we do not know, and send none.
  if (consent?.ad_user_data === 'granted' && !consent.do_not_sell) {
    const userData = ga4UserData(event);
    if (userData) request.user_data = userData;
  }
  if (event.context.ip !== undefined) request.ip_override = event.context.ip;

  return { ok: true, payload: { request, event: { name, timestamp_micros: timestampMicros, params } } satisfies Ga4Payload };
}

/**
 * G5 user-provided data, limited to what the canonical hashes can give correctly. GA4 uses Google
 * Ads' enhanced-conversions normalization (G5; notes §2.4 and §3.4), which the contract carries as
 * variant fields (docs/CONTRACT.md):
 * - sha256_email_address: `em_google` (trim, lowercase, and for gmail.com / googlemail.com no dots
 *   and no "+tag" in the local part). Without it, `em` (trim + lowercase): identical for every
 *   other domain, so the best hash there is.
 * - sha256_phone_number: `ph_e164`, the hash of "+" followed by the E.164 digits — G5: "digits
 *   only, add + prefix, then hash". There is no fallback: the contract's `ph` hashes the digits
 *   without "+", which can never equal Google's hash, so it would only hand Google an identifier
 *   it cannot use (the Google Ads destination does the same).
 * - address[] is NOT sent: Google wants city, region, postal_code and country in plain
 *   normalized text (G5) and the contract only carries their hashes. Whether GA4 can use an
 *   address of hashed names only is UNCONFIRMED, so we do not send names for no known benefit.
 */
function ga4UserData(event: CanonicalEvent): Ga4UserData | undefined {
  const { em, em_google, ph_e164 } = event.identity;
  const userData: Ga4UserData = {};
  const email = em_google ?? em;
  if (email !== undefined) userData.sha256_email_address = [email];
  if (ph_e164 !== undefined) userData.sha256_phone_number = [ph_e164];
  return Object.keys(userData).length > 0 ? userData : undefined;
}
