/**
 * The consent gate: decides, per destination and at send time, whether an event may be sent and
 * with which restricted-processing flags. Inputs are the event's consent snapshot (taken in the
 * browser when it happened, carried by later server events too), the site policy and what the
 * destination needs.
 *
 * Built-in requirements per destination category (relay/README.md, "Consent gate"):
 *
 * | category  | destinations | purposes that must be granted | do_not_sell |
 * |-----------|--------------|-------------------------------|-------------|
 * | ads       | meta, google_ads, tiktok, pinterest, snapchat, linkedin, reddit, x, criteo, taboola, awin, unknown slugs | ad_storage + ad_user_data | drop, or LDU where supported |
 * | analytics | ga4          | analytics_storage             | not affected |
 * | marketing | klaviyo      | ad_user_data                  | drop, or LDU where supported |
 * | webhook   | webhook      | none (site policy `purposes.webhook` sets them) | not affected |
 *
 * Ads platforms need ad_storage because click and browser ids (fbp, fbc, gclid, ttp…) come from
 * ad cookies, and ad_user_data because every payload carries hashed identifiers or the IP; one
 * without the other still identifies the visitor, so both are required to send at all.
 * `purposes` in the site policy replaces the list for one slug (e.g. a webhook feeding a CRM).
 */
import type { CanonicalEvent } from '../contract/event.js';
import type { PrivacyContext } from '../destinations/types.js';
import type { ConsentPurpose, SitePolicy } from './policy.js';

export type DestinationCategory = 'ads' | 'analytics' | 'marketing' | 'webhook';

export interface DestinationPrivacyProfile {
  category: DestinationCategory;
  /** Purposes that must be granted for the event to be sent at all. */
  purposes: readonly ConsentPurpose[];
  /** The platform has a Limited Data Use / restricted-processing flag its mapper sets from ctx.privacy. */
  supportsLimitedDataUse: boolean;
}

const ADS: readonly ConsentPurpose[] = ['ad_storage', 'ad_user_data'];
const ads = (supportsLimitedDataUse: boolean): DestinationPrivacyProfile => ({ category: 'ads', purposes: ADS, supportsLimitedDataUse });

/**
 * Keyed by slug as a plain string so destinations still being built are covered before they are
 * registered. An unknown slug is treated as an ads platform without LDU (the strictest reading).
 */
export const DESTINATION_PRIVACY: Readonly<Record<string, DestinationPrivacyProfile>> = {
  meta: ads(true), // data_processing_options LDU
  tiktok: ads(true), // limited_data_use
  pinterest: ads(true), // opt_out_type LDP
  reddit: ads(true), // user.data_processing_options LDU
  google_ads: ads(false), // consent.adUserData is sent; identifiers only with ad_user_data
  snapchat: ads(true), // data_processing_options LMU
  linkedin: ads(false),
  x: ads(false),
  criteo: ads(false),
  taboola: ads(false),
  awin: ads(false),
  ga4: { category: 'analytics', purposes: ['analytics_storage'], supportsLimitedDataUse: false },
  klaviyo: { category: 'marketing', purposes: ['ad_user_data'], supportsLimitedDataUse: false },
  webhook: { category: 'webhook', purposes: [], supportsLimitedDataUse: false },
  webhooks: { category: 'webhook', purposes: [], supportsLimitedDataUse: false },
};

export function privacyProfile(slug: string): DestinationPrivacyProfile {
  return DESTINATION_PRIVACY[slug] ?? ads(false);
}

export type ConsentDecision = { send: true; privacy: PrivacyContext } | { send: false; reason: string };

const list = (xs: readonly string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/**
 * Whether `event` may go to the destination `slug` (its `label` names it in reasons). Reasons
 * start with "consent:" and are stored on the skipped delivery row for the merchant to read.
 */
export function consentGate(
  event: Pick<CanonicalEvent, 'consent'>,
  slug: string,
  label: string,
  policy: SitePolicy,
): ConsentDecision {
  const profile = privacyProfile(slug);
  const required = policy.purposes[slug] ?? profile.purposes;
  const consent = event.consent;

  if (consent === undefined) {
    if (policy.default_denied && required.length > 0) {
      return {
        send: false,
        reason: `consent: the event has no consent snapshot and the site policy treats missing consent as denied (default_denied); ${label} needs ${list(required)}`,
      };
    }
  } else {
    const denied = required.filter((p) => consent[p] !== 'granted');
    if (denied.length > 0) return { send: false, reason: `consent: ${list(denied)} denied` };
  }

  const sellAffected = profile.category === 'ads' || profile.category === 'marketing';
  const doNotSell = consent?.do_not_sell === true && sellAffected;
  if (doNotSell) {
    if (policy.do_not_sell_mode === 'drop') {
      return { send: false, reason: 'consent: do_not_sell is set and the site policy drops such events (do_not_sell_mode: drop)' };
    }
    if (!profile.supportsLimitedDataUse) {
      return {
        send: false,
        reason: `consent: do_not_sell is set and ${label} has no limited-data-use flag, so the event is not sent (do_not_sell_mode: limited)`,
      };
    }
  }

  const limitedDataUse = sellAffected && profile.supportsLimitedDataUse && (policy.ldu.enabled || doNotSell);
  const privacy: PrivacyContext = { limitedDataUse };
  if (limitedDataUse) {
    const country = consent?.ldu?.country ?? policy.ldu.country;
    const state = consent?.ldu?.country !== undefined ? consent.ldu.state : policy.ldu.state;
    if (country !== undefined) privacy.lduCountry = country;
    if (state !== undefined) privacy.lduState = state;
  }
  return { send: true, privacy };
}
