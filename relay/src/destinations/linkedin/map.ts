/**
 * Canonical event → one element of a LinkedIn `conversionEvents` batch. Pure: no I/O, no clock
 * (ctx.now).
 *
 * Sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §3): L1
 * Conversions API + schema pages, L2 Salesforce connector (limits), [FIELD] third-party
 * measurements against the live API.
 *
 * What LayerSync can send: LinkedIn matches on `user.userIds` (SHA256_EMAIL = hex SHA-256 of the
 * trimmed, lower-cased email — exactly the contract's `em`; LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID
 * = the `li_fat_id` click id, unhashed) or on `user.userInfo` (first/last name, company, title,
 * country in PLAIN text). The relay only ever holds hashes, so userInfo is never sent, and an
 * event needs an email hash or an li_fat_id to be matchable at all.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import { refuse, skip, skipWithoutLimitedDataUse } from '../shared/event.js';
import { formatMoney } from '../shared/money.js';
import { formatAge } from '../shared/text.js';
import type { MapContext, MapResult } from '../types.js';
import {
  LINKEDIN_EVENT_AGE_MARGIN_SECONDS,
  LINKEDIN_MAX_EVENT_AGE_SECONDS,
  linkedinConversionUrn,
} from './api.js';
import type { LinkedinSettings } from './settings.js';

/** The user id types LayerSync fills (L1 enum also has ACXIOM_ID, PLAINTEXT_IP_ADDRESS, GOOGLE_AID). */
export type LinkedinIdType = 'SHA256_EMAIL' | 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID';

export interface LinkedinUserId {
  idType: LinkedinIdType;
  idValue: string;
}

/** One conversion event as LinkedIn's batch create takes it (L1). */
export interface LinkedinConversionEvent {
  /** `urn:lla:llaPartnerConversion:{id}`. */
  conversion: string;
  /** Unix MILLISECONDS (L1; a seconds value reads as 1970 and is refused). */
  conversionHappenedAt: number;
  /** `amount` is a decimal STRING; a JSON number is refused with 422 [FIELD]. */
  conversionValue?: { currencyCode: string; amount: string };
  /** Deduplicates against the Insight Tag event with the same id (L1). */
  eventId: string;
  /** `userIds` must be present even when empty (dev.to write-up in the notes); LayerSync never sends it empty. */
  user: { userIds: LinkedinUserId[] };
}

/** Maps one canonical event to a LinkedIn conversion event, or says why it is not sent. */
export function mapLinkedinEvent(event: CanonicalEvent, ctx: MapContext<LinkedinSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > LINKEDIN_MAX_EVENT_AGE_SECONDS - LINKEDIN_EVENT_AGE_MARGIN_SECONDS) {
    return refuse(`The event happened ${formatAge(age)} ago; LinkedIn refuses conversions older than 90 days, so it was not sent.`);
  }

  // LinkedIn has no restricted-processing flag (unlike Meta's LDU), so an opt-out of sale/sharing
  // can only be honoured by not sending the event.
  const optedOut = skipWithoutLimitedDataUse(event, ctx.privacy, 'LinkedIn');
  if (optedOut !== undefined) return optedOut;

  const rule = ctx.settings.conversion_rules[event.event_name];
  if (rule === undefined) {
    return skip(
      `No LinkedIn conversion rule is set for "${event.event_name}"; add one under conversion_rules (e.g. "${event.event_name}": "urn:lla:llaPartnerConversion:<id>") to send these events.`,
    );
  }

  const userIds = linkedinUserIds(event);
  if (userIds.length === 0) {
    return skip(
      'LinkedIn can only match an event with a hashed email (with ad_user_data consent) or the li_fat_id click id (with ad_storage consent); this event has neither, so it is not sent.',
    );
  }

  const out: LinkedinConversionEvent = {
    conversion: linkedinConversionUrn(rule),
    // Browser clocks run ahead at times and LinkedIn refuses future timestamps (L1); an event
    // cannot have happened after the relay saw it.
    conversionHappenedAt: Math.min(event.event_time, ctx.now) * 1000,
    eventId: event.event_id,
    user: { userIds },
  };

  const commerce = event.commerce;
  if (commerce?.value !== undefined && commerce.currency !== undefined) {
    if (commerce.value < 0) {
      return refuse(`LinkedIn conversion values cannot be negative (commerce.value is ${commerce.value}); refunds are not reported to LinkedIn.`);
    }
    out.conversionValue = { currencyCode: commerce.currency, amount: formatAmount(commerce.value, commerce.currency) };
  }
  return { ok: true, payload: out };
}

/**
 * SHA256_EMAIL only with ad_user_data consent not denied, the click id only with ad_storage not
 * denied. Consent that is absent is the site's default, which the consent gate already applied
 * before mapping, so only an explicit denial strips an identifier here.
 */
export function linkedinUserIds(event: CanonicalEvent): LinkedinUserId[] {
  const ids: LinkedinUserId[] = [];
  const { em, li_fat_id } = event.identity;
  if (em !== undefined && event.consent?.ad_user_data !== 'denied') ids.push({ idType: 'SHA256_EMAIL', idValue: em });
  if (li_fat_id !== undefined && event.consent?.ad_storage !== 'denied') {
    ids.push({ idType: 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', idValue: li_fat_id });
  }
  return ids;
}

/**
 * A decimal string with the currency's minor-unit digits (EUR 2, JPY 0, KWD 3) from ICU's ISO 4217
 * data (2 for a code that is not well-formed, which the contract forbids anyway): LinkedIn wants a
 * string (L1) and the notes warn against float artefacts (§9.2). Rounded the 'scaled' way.
 */
export function formatAmount(value: number, currency: string): string {
  return formatMoney(value, currency, 'scaled');
}
