/**
 * Streaming exports of events and deliveries as CSV or NDJSON. Rows are read from the store one
 * page at a time as the consumer reads (keyset paging, backpressure through Readable.from), so an
 * export of millions of rows holds one page in memory, not the whole table.
 *
 * What leaves: identity fields only as the SHA-256 hashes they already are (raw click ids, IP
 * addresses, user agents, URLs and free-form properties stay in the relay), no payloads (they carry
 * the IP and user agent), no settings, no secrets. CSV cells that a spreadsheet would run as a
 * formula (starting with =, +, -, @, tab or carriage return) are prefixed with a single quote.
 */
import { Readable, Transform, pipeline } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { stringify } from 'csv-stringify';
import type { DestinationSlug } from '../destinations/types.js';
import type { DeliveryRow, DeliveryStatus, EventView, Store } from '../store/types.js';

export type ExportKind = 'events' | 'deliveries';
export type ExportFormat = 'csv' | 'ndjson';

export interface ExportFilter {
  siteId?: string;
  /** event_time bounds, unix seconds, inclusive. */
  since?: number;
  until?: number;
  /** Deliveries only. */
  slug?: DestinationSlug;
  statuses?: DeliveryStatus[];
}

export interface ExportOptions {
  pageSize?: number;
}

/** Identity fields that the contract carries as SHA-256 hashes; nothing else is exported. */
export const HASHED_IDENTITY_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'] as const;
const HEX64 = /^[a-f0-9]{64}$/;

const FORMULA_START = /^[=+\-@\t\r]/;
/** Makes a CSV cell inert in spreadsheets (OWASP CSV injection). */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

const iso = (ms: number) => new Date(ms).toISOString();

function hashedIdentity(identity: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof identity !== 'object' || identity === null) return out;
  for (const k of HASHED_IDENTITY_KEYS) {
    const v = (identity as Record<string, unknown>)[k];
    if (typeof v === 'string' && HEX64.test(v)) out[k] = v;
  }
  return out;
}

interface CommerceLike {
  order_id?: string;
  value?: number;
  currency?: string;
  tax?: number;
  shipping?: number;
  coupon?: string;
  items?: unknown[];
}

export function eventRecord(e: EventView) {
  const ev = e.event as unknown as { identity?: unknown; commerce?: CommerceLike; consent?: Record<string, unknown> };
  return {
    site_id: e.siteId,
    event_id: e.eventId,
    event_name: e.eventName,
    event_time: iso(e.eventTime * 1000),
    received_at: iso(e.receivedAt),
    source: e.source,
    commerce: ev.commerce ?? null,
    identity: hashedIdentity(ev.identity),
    consent: ev.consent ?? null,
    deliveries: e.deliveries.map((d) => ({
      destination: d.destination,
      mode: d.mode,
      platform_event_name: d.platformEventName,
      status: d.status,
      attempts: d.attempts,
      last_status: d.lastStatus,
      updated_at: iso(d.updatedAt),
    })),
  };
}

export const EVENT_CSV_COLUMNS = [
  'site_id',
  'event_id',
  'event_name',
  'event_time',
  'received_at',
  'source',
  'order_id',
  'value',
  'currency',
  'items',
  ...HASHED_IDENTITY_KEYS.map((k) => `${k}_sha256`),
  'consent_ad_storage',
  'consent_analytics_storage',
  'consent_ad_user_data',
  'consent_ad_personalization',
  'deliveries',
] as const;

function eventCsvRow(e: EventView): Record<string, string | number | null> {
  const r = eventRecord(e);
  const row: Record<string, string | number | null> = {
    site_id: r.site_id,
    event_id: r.event_id,
    event_name: r.event_name,
    event_time: r.event_time,
    received_at: r.received_at,
    source: r.source,
    order_id: r.commerce?.order_id ?? null,
    value: r.commerce?.value ?? null,
    currency: r.commerce?.currency ?? null,
    items: r.commerce?.items?.length ?? null,
    consent_ad_storage: (r.consent?.ad_storage as string | undefined) ?? null,
    consent_analytics_storage: (r.consent?.analytics_storage as string | undefined) ?? null,
    consent_ad_user_data: (r.consent?.ad_user_data as string | undefined) ?? null,
    consent_ad_personalization: (r.consent?.ad_personalization as string | undefined) ?? null,
    deliveries: r.deliveries.map((d) => `${d.destination}:${d.status}`).join(' '),
  };
  for (const k of HASHED_IDENTITY_KEYS) row[`${k}_sha256`] = r.identity[k] ?? null;
  return row;
}

export function deliveryRecord(d: DeliveryRow) {
  return {
    delivery_id: d.id,
    site_id: d.siteId,
    event_id: d.eventId,
    event_name: d.eventName,
    event_time: iso(d.eventTime * 1000),
    destination: d.destination,
    destination_id: d.destinationId,
    mode: d.mode,
    platform_event_name: d.platformEventName,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    latency_ms: d.latencyMs,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

export const DELIVERY_CSV_COLUMNS = Object.keys(
  deliveryRecord({
    id: 0,
    siteId: '',
    eventId: '',
    eventName: '',
    eventTime: 0,
    destinationId: 0,
    destination: 'meta',
    mode: 'live',
    platformEventName: null,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: null,
    lastStatus: null,
    lastError: null,
    latencyMs: null,
    createdAt: 0,
    updatedAt: 0,
  }),
);

async function* eventPages(store: Store, f: ExportFilter, pageSize: number): AsyncGenerator<EventView> {
  let afterId = 0;
  for (;;) {
    const rows = await store.searchEvents({ siteId: f.siteId, since: f.since, until: f.until, afterId, limit: pageSize });
    yield* rows;
    if (rows.length < pageSize) return;
    afterId = rows.at(-1)!.id;
    await yieldToLoop(); // let requests in between pages
  }
}

async function* deliveryPages(store: Store, f: ExportFilter, pageSize: number): AsyncGenerator<DeliveryRow> {
  let afterId = 0;
  for (;;) {
    const rows = await store.searchDeliveries({
      siteId: f.siteId,
      since: f.since,
      until: f.until,
      slug: f.slug,
      statuses: f.statuses,
      afterId,
      limit: pageSize,
    });
    yield* rows;
    if (rows.length < pageSize) return;
    afterId = rows.at(-1)!.id;
    await yieldToLoop();
  }
}

function mapStream<T>(fn: (row: T) => unknown): Transform {
  return new Transform({
    objectMode: true,
    transform(row: T, _enc, done) {
      done(null, fn(row));
    },
  });
}

/** The export as a byte stream; read it (or pipe it to a response or a file) to run it. */
export function exportStream(store: Store, kind: ExportKind, format: ExportFormat, filter: ExportFilter = {}, opts: ExportOptions = {}): Readable {
  const pageSize = opts.pageSize ?? 500;
  const source =
    kind === 'events' ? Readable.from(eventPages(store, filter, pageSize)) : Readable.from(deliveryPages(store, filter, pageSize));
  const shape =
    kind === 'events'
      ? mapStream<EventView>(format === 'csv' ? eventCsvRow : eventRecord)
      : mapStream<DeliveryRow>(deliveryRecord);
  const encode =
    format === 'ndjson'
      ? new Transform({
          writableObjectMode: true,
          transform(obj: unknown, _enc, done) {
            done(null, `${JSON.stringify(obj)}\n`);
          },
        })
      : stringify({
          header: true,
          columns: [...(kind === 'events' ? EVENT_CSV_COLUMNS : DELIVERY_CSV_COLUMNS)],
          cast: { string: (v) => neutralizeCell(v) },
        });
  // pipeline destroys every stage on error, so a failed read ends the response instead of hanging it.
  return pipeline(source, shape, encode, () => undefined);
}
