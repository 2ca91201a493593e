/**
 * Dedup and merge rules, as pure functions the store applies inside its ingest transaction (so
 * the decision and the write are atomic, in SQLite today and PostgreSQL later).
 *
 * - One event per (site, event_id). The browser and the server halves of one event share the id.
 *   A copy from a source not seen yet that arrives within the merge window after the first copy
 *   is MERGED: the stored event becomes the union of both (identifiers, context, commerce,
 *   consent, properties) and is delivered once, after the window. Any other copy — the same
 *   source again (a resend) or one arriving after the window — is a DUPLICATE: recorded, never
 *   delivered again.
 * - purchase and refund are also one per (site, order_id, event_name) within the dedup window,
 *   whatever their event_id (several hooks or senders reporting one order). Refunds add the
 *   refunded value to the key, so partial refunds of different amounts all count.
 */
import type { CanonicalEvent } from '../contract/event.js';

export type MergeVerdict =
  | { kind: 'merge'; event: CanonicalEvent; added: string[]; reason: string }
  | { kind: 'duplicate'; reason: string };

/** Identity keys whose value comes from the browser (cookies, URL parameters). */
const BROWSER_IDS = new Set([
  'fbp', 'fbc', 'gclid', 'gbraid', 'wbraid', 'ttclid', 'ttp', 'epik', 'scid',
  'rdt_cid', 'rdt_uuid', 'twclid', 'li_fat_id', 'ga_client_id', 'ga_session_id',
]);

export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

type Obj = Record<string, unknown>;

/** Adds to `into` what only `from` has; on a conflict `preferFrom(key)` decides. */
function unionInto(into: Obj, from: Obj | undefined, preferFrom: (key: string) => boolean): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue;
    if (into[k] === undefined || preferFrom(k)) into[k] = v;
  }
}

/** Keys whose value differs between `before` and `after`, prefixed. */
function changed(before: Obj | undefined, after: Obj | undefined, prefix: string): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k])).map((k) => `${prefix}${k}`);
}

const STATE_ORDER = { denied: 0, granted: 1 } as const;

/** Consent of two halves: each purpose is granted only if no half denied it; do_not_sell if any half set it. */
function mergeConsent(a: CanonicalEvent['consent'], b: CanonicalEvent['consent']): CanonicalEvent['consent'] {
  if (!a) return b;
  if (!b) return a;
  const pick = (x: 'granted' | 'denied', y: 'granted' | 'denied') => (STATE_ORDER[x] <= STATE_ORDER[y] ? x : y);
  const merged: NonNullable<CanonicalEvent['consent']> = {
    ad_storage: pick(a.ad_storage, b.ad_storage),
    analytics_storage: pick(a.analytics_storage, b.analytics_storage),
    ad_user_data: pick(a.ad_user_data, b.ad_user_data),
    ad_personalization: pick(a.ad_personalization, b.ad_personalization),
    do_not_sell: a.do_not_sell || b.do_not_sell,
  };
  const ldu = a.ldu ?? b.ldu;
  if (ldu) merged.ldu = ldu;
  return merged;
}

/**
 * The union of two copies of one event. Fields only one copy has are taken from it. On a
 * conflict between a browser and a non-browser copy: click/browser ids and context come from the
 * browser copy (it saw the visitor; ip_anonymized travels with its ip); hashed PII, commerce and
 * properties from the server copy (order and account truth), except that an empty item list
 * never replaces a filled one. Between two non-browser copies the stored one stays. event_time
 * is the earlier one; consent the stricter of both, per purpose.
 * `added` names what changed in the stored event, e.g. `fbp`, `em`, `context.user_agent`.
 */
export function mergeCopies(kept: CanonicalEvent, incoming: CanonicalEvent): { event: CanonicalEvent; added: string[] } {
  const browserIncoming = incoming.source === 'browser' && kept.source !== 'browser';
  const serverIncoming = kept.source === 'browser' && incoming.source !== 'browser';

  const identity: Obj = { ...kept.identity };
  unionInto(identity, incoming.identity, (key) => (BROWSER_IDS.has(key) ? browserIncoming : serverIncoming));

  const context: Obj = { ...kept.context };
  unionInto(context, incoming.context, () => browserIncoming);
  // The anonymized flag describes the ip it came with, so it travels with that ip.
  const ipFromIncoming = incoming.context.ip !== undefined && context.ip === incoming.context.ip && kept.context.ip !== incoming.context.ip;
  const ipSide = ipFromIncoming ? incoming.context : kept.context;
  const otherSide = ipFromIncoming ? kept.context : incoming.context;
  let anonymized = ipSide.ip_anonymized;
  if (anonymized === undefined && (ipSide.ip === undefined || otherSide.ip === ipSide.ip)) anonymized = otherSide.ip_anonymized;
  if (anonymized === undefined) delete context.ip_anonymized;
  else context.ip_anonymized = anonymized;

  let commerce: Obj | undefined = kept.commerce;
  if (incoming.commerce) {
    // An empty item list says nothing: the other half's items win over it.
    const withoutEmptyItems = (c: Obj): Obj => (Array.isArray(c.items) && c.items.length === 0 ? { ...c, items: undefined } : c);
    commerce = withoutEmptyItems({ ...(kept.commerce ?? {}) });
    unionInto(commerce, withoutEmptyItems(incoming.commerce), () => serverIncoming);
    if (commerce.items === undefined) {
      if (kept.commerce?.items !== undefined || incoming.commerce.items !== undefined) commerce.items = [];
      else delete commerce.items;
    }
  }

  const consent = mergeConsent(kept.consent, incoming.consent);

  let properties: Obj | undefined = kept.properties;
  if (incoming.properties) {
    properties = { ...(kept.properties ?? {}) };
    unionInto(properties, incoming.properties, () => serverIncoming);
  }

  const event: CanonicalEvent = {
    ...kept,
    event_time: Math.min(kept.event_time, incoming.event_time),
    context: context as CanonicalEvent['context'],
    identity: identity as CanonicalEvent['identity'],
  };
  if (commerce) event.commerce = commerce as CanonicalEvent['commerce'];
  if (consent) event.consent = consent;
  if (properties) event.properties = properties as CanonicalEvent['properties'];

  const added = [
    ...changed(kept.identity, event.identity, ''),
    ...changed(kept.context, event.context, 'context.'),
    ...changed(kept.commerce, event.commerce, 'commerce.'),
    ...(JSON.stringify(kept.consent) !== JSON.stringify(event.consent) ? ['consent'] : []),
    ...changed(kept.properties, event.properties, 'properties.'),
    ...(event.event_time !== kept.event_time ? ['event_time'] : []),
  ];
  return { event, added };
}

export interface StoredCopy {
  event: CanonicalEvent;
  /** The first copy's source and arrival (ms). */
  firstSource: string;
  firstReceivedAt: number;
  /** Every source merged so far, the first included. */
  sources: readonly string[];
}

/** What to do with `incoming`, a copy of an already stored event, received at `receivedAt` (ms). */
export function judgeCopy(stored: StoredCopy, incoming: CanonicalEvent, receivedAt: number, mergeWindowMs: number): MergeVerdict {
  const gap = receivedAt - stored.firstReceivedAt;
  const head = `duplicate event_id from ${incoming.source} ${formatSeconds(gap)} after ${stored.firstSource}`;
  if (incoming.event_name !== stored.event.event_name) {
    return { kind: 'duplicate', reason: `${head}, but named "${incoming.event_name}" where the stored copy is "${stored.event.event_name}": dropped, not merged` };
  }
  if (stored.sources.includes(incoming.source)) {
    return { kind: 'duplicate', reason: `${head}: a ${incoming.source} copy was already received, so this resend was dropped` };
  }
  if (gap >= mergeWindowMs) {
    return {
      kind: 'duplicate',
      reason: `${head}: outside the ${formatSeconds(mergeWindowMs)} merge window, so it was dropped and not delivered again`,
    };
  }
  const { event, added } = mergeCopies(stored.event, incoming);
  const ids = added.filter((a) => !a.includes('.') && a !== 'consent' && a !== 'event_time');
  const other = added.filter((a) => !ids.includes(a));
  const parts: string[] = [];
  if (ids.length > 0) parts.push(`merged identifiers ${ids.join(', ')}`);
  if (other.length > 0) parts.push(`${ids.length > 0 ? 'and' : 'merged'} ${other.join(', ')}`);
  const what = parts.length > 0 ? parts.join(' ') : 'nothing new to merge';
  return { kind: 'merge', event, added, reason: `${head}: ${what}; delivered once` };
}

/** The order-level dedup key of a purchase or refund with an order_id, else undefined. */
export function orderDedupKey(event: Pick<CanonicalEvent, 'event_name' | 'commerce'>): { orderId: string; key: string } | undefined {
  const orderId = event.commerce?.order_id;
  if (orderId === undefined) return undefined;
  if (event.event_name === 'purchase') return { orderId, key: 'purchase' };
  if (event.event_name === 'refund') {
    const v = event.commerce?.value;
    return { orderId, key: v === undefined ? 'refund' : `refund:${v}` };
  }
  return undefined;
}

export function orderDuplicateReason(orderId: string, eventName: string, keptEventId: string, droppedEventId: string): string {
  return `duplicate order_id ${orderId} ${eventName}: kept event ${keptEventId}, dropped ${droppedEventId}`;
}
