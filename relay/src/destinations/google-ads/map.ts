/**
 * Canonical event → Google Ads upload item. Pure: no I/O, no clock other than `ctx.now`.
 *
 * The payload is a small envelope around the wire object: `kind` routes it to
 * uploadClickConversions or uploadConversionAdjustments (one send may carry both), and
 * `occurred_at` lets the sender compute when a "too recent" item may be retried.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import type { MapContext, MapResult } from '../types.js';
import {
  ADJUSTMENT_MAX_CONVERSION_AGE_S,
  conversionActionResourceName,
  CONVERSION_ACTION_RESOURCE,
  MAX_USER_IDENTIFIERS,
  type ClickConversion,
  type ConversionAdjustment,
  type UserIdentifier,
} from './api.js';
import type { GoogleAdsSettings } from './settings.js';

export type GoogleAdsPayload =
  | { kind: 'click'; occurred_at: number; conversion: ClickConversion }
  | { kind: 'adjustment'; occurred_at: number; adjustment: ConversionAdjustment };

/**
 * Identity fields hashed with Google's own normalization, which the contract's Meta-based `em`/`ph`
 * cannot stand in for (the relay only sees hashes, so it cannot re-normalize):
 * - `em_google`: SHA-256 of the email trimmed and lowercased, and for gmail.com / googlemail.com
 *   with every "." and any "+suffix" removed from the local part (Data Manager formatting guide;
 *   older Google Ads pages mention only the dots). Without it the mapper falls back to `em`, which
 *   is identical for every other domain.
 * - `ph_e164`: SHA-256 of the phone in E.164 *with* the leading "+" ("+18005550100"). The
 *   contract's `ph` hashes the digits without "+", which never matches at Google, so there is no
 *   fallback for phones.
 * They are not in the contract yet; read by name so this compiles before they are added.
 */
export const GOOGLE_IDENTITY_FIELDS = { email: 'em_google', phone: 'ph_e164' } as const;

const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * Formats unix seconds as Google's "yyyy-mm-dd hh:mm:ss+hh:mm" in an IANA time zone.
 * Any offset is valid for Google; the account's zone keeps report dates aligned.
 */
export function formatGoogleDateTime(unixSeconds: number, timeZone: string): string {
  const ms = unixSeconds * 1000;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const y = get('year');
  const mo = get('month');
  const d = get('day');
  const h = get('hour');
  const mi = get('minute');
  const s = get('second');
  const offsetMin = Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000) / 60_000);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  return (
    `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}` +
    `${sign}${pad(Math.trunc(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`
  );
}

function actionResource(settings: GoogleAdsSettings, ref: string): string {
  return CONVERSION_ACTION_RESOURCE.test(ref) ? ref : conversionActionResourceName(settings.customer_id, ref);
}

function variant(event: CanonicalEvent, field: string): string | undefined {
  const value = (event.identity as Record<string, unknown>)[field];
  return typeof value === 'string' && SHA256_HEX.test(value) ? value : undefined;
}

/** Hashed email/phone, only with ad_user_data consent; missing consent sends none (the safe reading). */
function userIdentifiers(event: CanonicalEvent): UserIdentifier[] {
  if (event.consent?.ad_user_data !== 'granted') return [];
  const out: UserIdentifier[] = [];
  const email = variant(event, GOOGLE_IDENTITY_FIELDS.email) ?? event.identity.em;
  const phone = variant(event, GOOGLE_IDENTITY_FIELDS.phone);
  // One identifier per object: UserIdentifier is a oneof (setting two overwrites/rejects).
  if (email) out.push({ hashedEmail: email, userIdentifierSource: 'FIRST_PARTY' });
  if (phone) out.push({ hashedPhoneNumber: phone, userIdentifierSource: 'FIRST_PARTY' });
  // Address info is not sent: "Only hashed_email and hashed_phone_number are supported for
  // conversion uploads" (ClickConversion.user_identifiers, v25 proto).
  return out.slice(0, MAX_USER_IDENTIFIERS);
}

/** The click id Google wants: gclid, else wbraid (iOS web), else gbraid (iOS app); never two. */
function clickId(event: CanonicalEvent): Pick<ClickConversion, 'gclid' | 'gbraid' | 'wbraid'> | undefined {
  const { gclid, wbraid, gbraid } = event.identity;
  if (gclid) return { gclid };
  if (wbraid) return { wbraid };
  if (gbraid) return { gbraid };
  return undefined;
}

/**
 * How a refund becomes an adjustment (documented for senders):
 * - `properties.remaining_value` (number): the order's value after this refund. > 0 → RESTATEMENT
 *   with that value (Google wants the new total, not the delta); <= 0 → RETRACTION.
 * - no `remaining_value` and no `commerce.items`: a full refund → RETRACTION (GA4's convention:
 *   a refund without items refunds the whole order).
 * - items but no `remaining_value`: a partial refund whose new total is unknown → not sent.
 */
function refundAdjustment(event: CanonicalEvent, settings: GoogleAdsSettings, action: string, now: number): MapResult {
  const orderId = event.commerce?.order_id;
  if (!orderId) {
    return { ok: false, skip: false, reason: 'refund has no commerce.order_id: Google Ads adjusts a conversion by its order ID' };
  }
  if (now - event.event_time > ADJUSTMENT_MAX_CONVERSION_AGE_S) {
    return {
      ok: false,
      skip: false,
      reason: 'refund is more than 54 days old: Google Ads only adjusts conversions from the last 54 days',
    };
  }
  const remaining = event.properties?.remaining_value;
  const base = {
    orderId,
    conversionAction: action,
    adjustmentDateTime: formatGoogleDateTime(event.event_time, settings.conversion_timezone),
  };
  let adjustment: ConversionAdjustment;
  if (typeof remaining === 'number' && remaining > 0) {
    adjustment = {
      ...base,
      adjustmentType: 'RESTATEMENT',
      restatementValue: {
        adjustedValue: remaining,
        ...(event.commerce?.currency ? { currencyCode: event.commerce.currency } : {}),
      },
    };
  } else if (typeof remaining === 'number' || !event.commerce?.items?.length) {
    adjustment = { ...base, adjustmentType: 'RETRACTION' };
  } else {
    return {
      ok: false,
      skip: false,
      reason: 'partial refund without properties.remaining_value: Google Ads needs the order value after the refund to restate it',
    };
  }
  return { ok: true, payload: { kind: 'adjustment', occurred_at: event.event_time, adjustment } satisfies GoogleAdsPayload };
}

/**
 * The event map's platform name picks the treatment: "refund" → conversion adjustment, "lead" →
 * click conversion that may use Enhanced Conversions for Leads, anything else → click conversion.
 * The conversion action is looked up by canonical event name, then by platform name.
 */
export function mapEvent(event: CanonicalEvent, ctx: MapContext<GoogleAdsSettings>): MapResult {
  const { settings } = ctx;
  const treatment = ctx.platformEventName;
  const actions = settings.conversion_actions;
  const ref = actions[event.event_name] ?? actions[treatment] ?? (treatment === 'refund' ? actions.purchase : undefined);
  if (!ref) {
    return { ok: false, skip: true, reason: `no Google Ads conversion action is configured for "${event.event_name}"` };
  }
  const action = actionResource(settings, ref);
  if (treatment === 'refund') return refundAdjustment(event, settings, action, ctx.now);

  const click = clickId(event);
  const identifiers = userIdentifiers(event);
  const enhancedLead = treatment === 'lead' && settings.leads_use_enhanced_conversions;
  if (!click && !(enhancedLead && identifiers.length > 0)) {
    return {
      ok: false,
      skip: true,
      reason: enhancedLead
        ? 'lead has no Google click id and no hashed email or phone with ad_user_data consent'
        : 'no Google click id (gclid, gbraid or wbraid): the visit did not come from a Google ad',
    };
  }

  const conversion: ClickConversion = {
    ...click,
    conversionAction: action,
    conversionDateTime: formatGoogleDateTime(event.event_time, settings.conversion_timezone),
  };
  const c = event.commerce;
  if (c?.value !== undefined && c.currency) {
    conversion.conversionValue = c.value;
    conversion.currencyCode = c.currency;
  }
  // Google keeps one conversion per order ID and action, so a retried upload is recognised
  // (ORDER_ID_ALREADY_IN_USE). Events without an order use their event id, which is not PII.
  conversion.orderId = c?.order_id ?? event.event_id;
  // Identifiers only with the ECL setting on: Google rejects rows carrying them when the account
  // has not accepted the customer data terms (CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS), so a
  // merchant who never opted in must not lose click conversions to them.
  if (identifiers.length > 0 && settings.leads_use_enhanced_conversions) conversion.userIdentifiers = identifiers;
  if (event.consent) {
    conversion.consent = { adUserData: event.consent.ad_user_data === 'granted' ? 'GRANTED' : 'DENIED' };
  }
  return { ok: true, payload: { kind: 'click', occurred_at: event.event_time, conversion } satisfies GoogleAdsPayload };
}

/** Structural check for payloads read back from the queue (they are stored as JSON). */
export function isGoogleAdsPayload(p: unknown): p is GoogleAdsPayload {
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Record<string, unknown>;
  if (typeof o.occurred_at !== 'number') return false;
  if (o.kind === 'click') return typeof o.conversion === 'object' && o.conversion !== null;
  if (o.kind === 'adjustment') return typeof o.adjustment === 'object' && o.adjustment !== null;
  return false;
}
