/**
 * Small, pure readings of a canonical event that several mappers need: whether a value is really
 * there, whether the event describes a website visit, whether the visitor or the site restricts
 * processing, how many units the items add up to, and the refusals every mapper returns.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import type { MapResult, PrivacyContext } from '../types.js';

type Identity = CanonicalEvent['identity'];
type Item = NonNullable<NonNullable<CanonicalEvent['commerce']>['items']>[number];

/** The value, or undefined when it is absent or only whitespace (the contract allows empty strings). */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The event is not sent, and the reason is recorded as an error (Meta, Snap, … would refuse it). */
export function refuse(reason: string): MapResult {
  return { ok: false, skip: false, reason };
}

/** The event is deliberately not sent (no rule for it, no way to match it, the visitor's choice): not an error. */
export function skip(reason: string): MapResult {
  return { ok: false, skip: true, reason };
}

/**
 * The hashed identity values named by `keys`, each as a one-element list (the form Meta,
 * Pinterest and Snap take for user_data), in the order of `keys`; absent values are left out.
 */
export function hashedIdentityLists<K extends keyof Identity>(identity: Identity, keys: readonly K[]): Partial<Record<K, string[]>> {
  const out: Partial<Record<K, string[]>> = {};
  for (const key of keys) {
    const hashed = identity[key];
    if (hashed !== undefined) out[key] = [hashed];
  }
  return out;
}

/**
 * The event describes a visit to the shop's website: it came from the storefront (the tracker,
 * or WooCommerce hooks reporting what the shopper just did), or it carries both the page URL and
 * the shopper's user agent. Each platform names the alternative its own way (Meta `other` or
 * `system_generated`, Pinterest `offline`, Reddit `OTHER`, …).
 */
export function isWebsiteVisit(event: CanonicalEvent): boolean {
  if (event.source === 'browser' || event.source === 'server') return true;
  return nonEmpty(event.context.url) !== undefined && nonEmpty(event.context.user_agent) !== undefined;
}

/**
 * Processing must be restricted: the site's Limited Data Use policy, or the visitor's own "do not
 * sell or share" choice. Platforms with a flag for it set the flag (Meta LDU, Snap LMU, Pinterest
 * LDP, TikTok limited_data_use); platforms without one do not get the event.
 */
export function restrictsProcessing(event: CanonicalEvent, privacy: PrivacyContext | undefined): boolean {
  return privacy?.limitedDataUse === true || event.consent?.do_not_sell === true;
}

/**
 * For a platform that has no limited-data-use mode (LinkedIn, X): when processing must be
 * restricted, the skip that says why the event is not sent; otherwise undefined.
 */
export function skipWithoutLimitedDataUse(event: CanonicalEvent, privacy: PrivacyContext | undefined, platform: string): MapResult | undefined {
  if (!restrictsProcessing(event, privacy)) return undefined;
  return skip(
    event.consent?.do_not_sell === true
      ? `The visitor opted out of the sale/sharing of their data and ${platform} offers no limited-data-use mode, so the event is not sent to ${platform}.`
      : `The site restricts data processing (limited data use) and ${platform} offers no limited-data-use mode, so the event is not sent to ${platform}.`,
  );
}

/** Units across the items; an item without a quantity counts as one. */
export function itemCount(items: readonly Item[]): number {
  return items.reduce((n, item) => n + (item.quantity ?? 1), 0);
}
