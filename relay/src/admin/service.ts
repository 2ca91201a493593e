/**
 * What an operator can do to a relay, shared by the admin API (routes/admin.ts) and the CLI
 * (cli/program.ts), so both apply the same rules: masked secrets, settings validated by each
 * destination's schema, replays only inside each platform's window, privacy deletion with counts.
 *
 * Methods answer in the admin API's JSON shapes (schemas.ts) and throw AdminError for anything
 * the caller can fix.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { formatDuration } from '../delivery/worker.js';
import type { HttpClient } from '../delivery/http.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import { secretKeys, secretValues } from '../destinations/secrets.js';
import type { Destination, DestinationSlug } from '../destinations/types.js';
import { describeIssues } from '../ingest/issues.js';
import type { EventMapOverrides } from '../pipeline/event-map.js';
import type { SitePolicy, SitePolicyInput } from '../pipeline/policy.js';
import { parseSitePolicy } from '../pipeline/policy.js';
import { redactText } from '../logging.js';
import {
  DELIVERY_STATUSES,
  type DeliveryRow,
  type DeliveryStatus,
  type DestinationRecord,
  type EventView,
  type ReplayCandidate,
  type ReplayRecord,
  type ReplayScope,
  type Store,
} from '../store/types.js';
import { isMasked, maskSecret } from '../vault/cipher.js';
import { settingsFields, settingsJsonSchema } from './destination-types.js';
import type {
  decisionSchema,
  deliveryRowSchema,
  destinationCreateBody,
  destinationPatchBody,
  destinationSchema,
  destinationStatsSchema,
  destinationTypeSchema,
  diagnosisSchema,
  eventSchema,
  privacyDeleteBody,
  privacyDeleteResultSchema,
  replayBody,
  replayResultSchema,
  replaySchema,
  siteSchema,
  siteWithSecretSchema,
} from './schemas.js';
import { REPLAYABLE_STATUSES } from './schemas.js';
import { iso, isoOrNull, parseTimeInput } from './time.js';

type Out<T extends z.ZodType> = z.input<T>;
export type SiteJson = Out<typeof siteSchema>;
export type DestinationJson = Out<typeof destinationSchema>;
export type EventJson = Out<typeof eventSchema>;
export type DeliveryRowJson = Out<typeof deliveryRowSchema>;
export type ReplayResultJson = Out<typeof replayResultSchema>;

export interface Issue {
  path: string;
  message: string;
}

/** A problem the caller can fix, with the HTTP status the admin API answers with. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): Issue[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.'), message: i.message }));
}

export interface AdminServiceDeps {
  store: Store;
  registry: Partial<DestinationRegistry>;
  clock?: () => number;
  /** For connection tests. */
  http?: HttpClient;
  baseUrls?: Partial<Record<DestinationSlug, string>>;
  /** Tells the delivery worker that replayed rows are due (the relay; the CLI has none). */
  kick?: () => void;
  /** Connection test timeout (default 30 s). */
  testTimeoutMs?: number;
  /** LAYERSYNC_RETENTION_DAYS, reported with each site (0: events are kept). */
  retentionDays?: number;
}

/** A replay must reach the platform before the event leaves its window: keep this much to spare. */
export const REPLAY_MARGIN_SECONDS = 300;
/** Most deliveries one replay may requeue; narrow the window beyond that. */
export const MAX_REPLAY = 100_000;
const MAX_STATS_WINDOW_MS = 400 * 86_400_000;
const BUCKETS: Record<string, number> = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 };
const SETTLED: readonly DeliveryStatus[] = ['delivered', 'failed', 'dead'];

const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (check(v)) return v;
  } catch {
    /* fall through */
  }
  throw new AdminError(400, 'invalid_query', 'cursor: must be a next_cursor value from a previous page', [
    { path: 'cursor', message: 'must be a next_cursor value from a previous page' },
  ]);
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Stable JSON for comparing settings (key order does not matter). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export class AdminService {
  private readonly store: Store;
  private readonly registry: Partial<DestinationRegistry>;
  private readonly clock: () => number;

  constructor(private readonly deps: AdminServiceDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.clock = deps.clock ?? Date.now;
  }

  /** Now, in Unix milliseconds (the relay's clock). */
  clockNow(): number {
    return this.clock();
  }

  // ── Helpers ──

  private impl(slug: string): Destination<unknown> | undefined {
    return (this.registry as Partial<Record<string, Destination<unknown>>>)[slug];
  }

  private knownSlugs(): string {
    return Object.keys(this.registry).join(', ');
  }

  private requireImpl(slug: string): Destination<unknown> {
    const impl = this.impl(slug);
    if (!impl) {
      throw new AdminError(400, 'unknown_destination', `slug: this relay has no destination "${slug}"; it has ${this.knownSlugs()}`, [
        { path: 'slug', message: `unknown destination; this relay has ${this.knownSlugs()}` },
      ]);
    }
    return impl;
  }

  private async requireSite(siteId: string) {
    const site = await this.store.getSite(siteId);
    if (!site) throw new AdminError(404, 'unknown_site', `no site "${siteId}"; create it with POST /v1/admin/sites or: layersync-relay sites add --id ${siteId}`);
    return site;
  }

  private async requireDestination(id: number): Promise<DestinationRecord> {
    const d = await this.store.getDestination(id);
    if (!d) throw new AdminError(404, 'not_found', `no destination with id ${id}; list them with GET /v1/admin/destinations`);
    return d;
  }

  /** Resolves a destination by id, or by site and slug. */
  async findDestination(ref: { id?: number; siteId?: string; slug?: string }): Promise<DestinationRecord> {
    if (ref.id !== undefined) return this.requireDestination(ref.id);
    if (ref.siteId === undefined || ref.slug === undefined) throw new AdminError(400, 'invalid_query', 'name the destination by id, or by site and destination slug');
    await this.requireSite(ref.siteId);
    const d = (await this.store.listDestinations({ siteId: ref.siteId })).find((x) => x.slug === ref.slug);
    if (!d) throw new AdminError(404, 'not_found', `site ${ref.siteId} is not connected to ${ref.slug}; connect it first`);
    return d;
  }

  private time(input: string | undefined, field: string): number | undefined {
    if (input === undefined) return undefined;
    const t = parseTimeInput(input, this.clock());
    if (t === undefined) throw new AdminError(400, 'invalid_query', `${field}: cannot read "${input}" as a time`, [{ path: field, message: 'not a time' }]);
    return t;
  }

  private window(sinceIn: string | undefined, untilIn: string | undefined): { since?: number; until?: number } {
    const since = this.time(sinceIn, 'since');
    const until = this.time(untilIn, 'until');
    if (since !== undefined && until !== undefined && since > until) {
      throw new AdminError(400, 'invalid_query', 'since: must not be after until', [{ path: 'since', message: 'must not be after until' }]);
    }
    return { since, until };
  }

  maskedSettings(slug: string, settings: unknown): { settings: Record<string, unknown>; secretFields: string[] } {
    const impl = this.impl(slug);
    const obj = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>) : {};
    const secret = secretKeys(impl?.settings, obj);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = secret.includes(k) ? maskSecret(v) : v;
    return { settings: out, secretFields: secret };
  }

  // ── Sites ──

  private async siteJson(siteId: string, destinations?: number): Promise<SiteJson> {
    const s = await this.requireSite(siteId);
    return {
      site_id: s.siteId,
      created_at: iso(s.createdAt),
      updated_at: iso(s.updatedAt),
      secrets: s.secrets.map((secret, i) => ({ role: i === 0 ? 'current' : 'previous', masked: maskSecret(secret) })),
      rotating: s.secrets.length > 1,
      destinations: destinations ?? (await this.store.listDestinations({ siteId })).length,
      retention_days: this.deps.retentionDays ?? 0,
    };
  }

  async listSites(): Promise<SiteJson[]> {
    const all = await this.store.listSites();
    const counts = new Map<string, number>();
    for (const d of await this.store.listDestinations()) counts.set(d.siteId, (counts.get(d.siteId) ?? 0) + 1);
    return Promise.all(all.map((s) => this.siteJson(s.siteId, counts.get(s.siteId) ?? 0)));
  }

  getSite(siteId: string): Promise<SiteJson> {
    return this.siteJson(siteId);
  }

  async createSite(body: { site_id: string; secret?: string }): Promise<Out<typeof siteWithSecretSchema>> {
    if (await this.store.getSite(body.site_id)) {
      throw new AdminError(409, 'site_exists', `site "${body.site_id}" already exists; rotate its secret with POST /v1/admin/sites/${body.site_id}/rotate-secret`);
    }
    const secret = body.secret ?? randomBytes(32).toString('hex');
    await this.store.upsertSite({ siteId: body.site_id, secrets: [secret] }, this.clock());
    return { site: await this.siteJson(body.site_id, 0), ...(body.secret === undefined ? { secret } : {}), warnings: [] };
  }

  /** Makes a new secret current; the current one stays valid as "previous" until retired. */
  async rotateSiteSecret(siteId: string, body: { secret?: string }): Promise<Out<typeof siteWithSecretSchema>> {
    const site = await this.requireSite(siteId);
    const secret = body.secret ?? randomBytes(32).toString('hex');
    if (site.secrets.includes(secret)) throw new AdminError(409, 'secret_in_use', 'secret: this secret is already active for the site; choose a new one');
    const warnings =
      site.secrets.length > 1
        ? ['the site was already rotating: the oldest secret was retired now, and requests signed with it are refused']
        : [];
    await this.store.upsertSite({ siteId, secrets: [secret, site.secrets[0]!] }, this.clock());
    return { site: await this.siteJson(siteId), ...(body.secret === undefined ? { secret } : {}), warnings };
  }

  /** Ends a rotation: only the current secret stays valid. */
  async retireSiteSecret(siteId: string): Promise<SiteJson> {
    const site = await this.requireSite(siteId);
    if (site.secrets.length < 2) {
      throw new AdminError(409, 'not_rotating', `site "${siteId}" has a single secret; there is no previous secret to retire`);
    }
    await this.store.upsertSite({ siteId, secrets: [site.secrets[0]!] }, this.clock());
    return this.siteJson(siteId);
  }

  /** The site's privacy policy (consent defaults, Limited Data Use, do-not-sell handling). */
  async getSitePolicy(siteId: string): Promise<SitePolicy> {
    await this.requireSite(siteId);
    return this.store.getSitePolicy(siteId);
  }

  async setSitePolicy(siteId: string, policy: SitePolicyInput): Promise<SitePolicy> {
    await this.requireSite(siteId);
    const parsed = parseSitePolicy(policy);
    await this.store.setSitePolicy(siteId, parsed, this.clock());
    return this.store.getSitePolicy(siteId);
  }

  // ── Destinations ──

  destinationTypes(): Array<Out<typeof destinationTypeSchema>> {
    return Object.values(this.registry as Partial<Record<string, Destination<unknown>>>)
      .filter((d): d is Destination<unknown> => d !== undefined)
      .map((d) => ({
        slug: d.slug,
        label: d.label,
        settings_schema: settingsJsonSchema(d),
        fields: settingsFields(d),
        secret_fields: secretKeys(d.settings),
        max_event_age_seconds: d.maxEventAgeSeconds,
        default_event_map: Object.fromEntries(Object.entries(d.defaultEventMap).filter((e): e is [string, string] => typeof e[1] === 'string')),
        supports_connection_test: typeof d.testConnection === 'function',
      }));
  }

  destinationJson(d: DestinationRecord): DestinationJson {
    const { settings, secretFields } = this.maskedSettings(d.slug, d.settings);
    return {
      id: d.id,
      site_id: d.siteId,
      slug: d.slug,
      label: this.impl(d.slug)?.label ?? d.slug,
      enabled: d.enabled,
      mode: d.mode,
      settings,
      secret_fields: secretFields,
      parked: d.parkedAt === null ? null : { at: iso(d.parkedAt), reason: d.parkedReason ?? '' },
      event_map: d.eventMap ?? null,
      created_at: iso(d.createdAt),
      updated_at: iso(d.updatedAt),
    };
  }

  async listDestinations(q: { site?: string; destination?: string } = {}): Promise<DestinationJson[]> {
    if (q.site !== undefined) await this.requireSite(q.site);
    const all = await this.store.listDestinations({ siteId: q.site });
    return all.filter((d) => q.destination === undefined || d.slug === q.destination).map((d) => this.destinationJson(d));
  }

  async getDestination(id: number): Promise<DestinationJson> {
    return this.destinationJson(await this.requireDestination(id));
  }

  /** Validates settings with the destination's schema; errors name the field (settings.<name>). */
  private validateSettings(impl: Destination<unknown>, candidate: Record<string, unknown>): unknown {
    for (const key of secretKeys(impl.settings, candidate)) {
      if (isMasked(candidate[key])) {
        throw new AdminError(400, 'invalid_settings', `settings.${key}: is a masked value; send the real ${key}`, [
          { path: `settings.${key}`, message: 'is a masked value; send the real one' },
        ]);
      }
    }
    const parsed = impl.settings.safeParse(candidate);
    if (!parsed.success) {
      throw new AdminError(400, 'invalid_settings', `invalid ${impl.label} settings: ${describeIssues(parsed.error, ['settings'])}`, issuesOf(parsed.error, ['settings']));
    }
    return parsed.data;
  }

  async createDestination(body: z.output<typeof destinationCreateBody>): Promise<DestinationJson> {
    const impl = this.requireImpl(body.slug);
    await this.requireSite(body.site_id);
    const existing = (await this.store.listDestinations({ siteId: body.site_id })).find((d) => d.slug === body.slug);
    if (existing) {
      throw new AdminError(409, 'destination_exists', `site ${body.site_id} is already connected to ${impl.label} (destination ${existing.id}); change it with PATCH /v1/admin/destinations/${existing.id}`);
    }
    const settings = this.validateSettings(impl, body.settings);
    const d = await this.store.upsertDestination({ siteId: body.site_id, slug: body.slug, enabled: body.enabled, mode: body.mode, settings }, this.clock());
    return this.destinationJson(d);
  }

  /**
   * Creates or replaces a connection (the CLI's `connect`): the settings are complete, and a
   * change un-parks it.
   */
  async connect(input: { siteId: string; slug: string; settings: Record<string, unknown>; mode: 'live' | 'dry_run'; enabled: boolean }): Promise<DestinationJson> {
    const impl = this.requireImpl(input.slug);
    await this.requireSite(input.siteId);
    const settings = this.validateSettings(impl, input.settings);
    const d = await this.store.upsertDestination(
      { siteId: input.siteId, slug: input.slug as DestinationSlug, enabled: input.enabled, mode: input.mode, settings },
      this.clock(),
    );
    return this.destinationJson(d);
  }

  async updateDestination(id: number, body: z.output<typeof destinationPatchBody>): Promise<DestinationJson> {
    const d = await this.requireDestination(id);
    let settings: unknown;
    let changed = false;
    if (body.settings !== undefined) {
      const impl = this.requireImpl(d.slug);
      const current = (typeof d.settings === 'object' && d.settings !== null ? d.settings : {}) as Record<string, unknown>;
      const secret = secretKeys(impl.settings, { ...current, ...body.settings });
      const merged: Record<string, unknown> = { ...current };
      for (const [k, v] of Object.entries(body.settings)) {
        if (v === null) delete merged[k];
        else if (secret.includes(k) && (isMasked(v) || v === '')) continue; // keep the stored secret
        else merged[k] = v;
      }
      settings = this.validateSettings(impl, merged);
      changed = stable(settings) !== stable(d.settings);
    }
    const updated = await this.store.updateDestination(
      id,
      {
        enabled: body.enabled,
        mode: body.mode,
        settings: changed ? settings : undefined,
        // New credentials deserve a new try: a parked connection resumes.
        unpark: changed,
      },
      this.clock(),
    );
    if (!updated) throw new AdminError(404, 'not_found', `no destination with id ${id}`);
    if (updated.enabled && updated.parkedAt === null) this.deps.kick?.();
    return this.destinationJson(updated);
  }

  /** Replaces the destination's event map overrides (null or {} removes them). */
  async setEventMap(id: number, eventMap: EventMapOverrides | null): Promise<DestinationJson> {
    await this.requireDestination(id);
    await this.store.setEventMap(id, eventMap, this.clock());
    return this.destinationJson(await this.requireDestination(id));
  }

  async deleteDestination(id: number): Promise<{ deleted: { destination: number; deliveries: number } }> {
    const r = await this.store.deleteDestination(id);
    if (!r) throw new AdminError(404, 'not_found', `no destination with id ${id}`);
    return { deleted: { destination: id, deliveries: r.deliveries } };
  }

  async testDestination(id: number): Promise<Out<typeof diagnosisSchema>> {
    const d = await this.requireDestination(id);
    const impl = this.requireImpl(d.slug);
    const answer = (ok: boolean, code: string, message: string) => ({ destination_id: id, ok, code, message, tested_at: iso(this.clock()) });
    if (!impl.testConnection) {
      return answer(false, 'not_supported', `${impl.label} offers no connection test; connect it in dry run and check the payloads, or send a test event`);
    }
    const parsed = impl.settings.safeParse(d.settings);
    if (!parsed.success) return answer(false, 'invalid_settings', `the stored ${impl.label} settings are invalid: ${describeIssues(parsed.error, ['settings'])}`);
    const http = this.deps.http;
    if (!http) throw new AdminError(503, 'unavailable', 'this process has no HTTP client for connection tests');
    const secrets = secretValues(impl.settings, parsed.data);
    try {
      const diag = await impl.testConnection({
        settings: parsed.data,
        http,
        baseUrl: this.deps.baseUrls?.[d.slug],
        signal: AbortSignal.timeout(this.deps.testTimeoutMs ?? 30_000),
        state: new Map(),
        nowMs: this.clock(),
      });
      return answer(diag.ok, diag.code, redactText(diag.message, secrets));
    } catch (err) {
      return answer(false, 'unreachable', redactText(`the connection test failed: ${err instanceof Error ? err.message : String(err)}`, secrets));
    }
  }

  // ── Statistics ──

  private statsWindow(q: { since?: string; until?: string; bucket?: string }) {
    const now = this.clock();
    const untilS = this.time(q.until, 'until');
    const sinceS = this.time(q.since, 'since');
    const until = untilS === undefined ? now : untilS * 1000;
    const since = sinceS === undefined ? until - 86_400_000 : sinceS * 1000;
    if (since >= until) throw new AdminError(400, 'invalid_query', 'since: must be before until', [{ path: 'since', message: 'must be before until' }]);
    if (until - since > MAX_STATS_WINDOW_MS) throw new AdminError(400, 'invalid_query', 'since: the window may span at most 400 days', [{ path: 'since', message: 'window too long' }]);
    const span = until - since;
    const bucketMs =
      q.bucket !== undefined
        ? BUCKETS[q.bucket]!
        : (Object.values(BUCKETS).find((b) => span / b <= 60) ?? BUCKETS['1d']!);
    if (span / bucketMs > 10_000) throw new AdminError(400, 'invalid_query', 'bucket: too small for this window (at most 10000 buckets)', [{ path: 'bucket', message: 'too small' }]);
    return { since, until, bucketMs };
  }

  private async statsOf(d: DestinationRecord, w: { since: number; until: number; bucketMs: number }): Promise<Out<typeof destinationStatsSchema>> {
    const s = await this.store.deliveryStats({ destinationId: d.id, ...w });
    const full = (c: Partial<Record<DeliveryStatus, number>>) =>
      Object.fromEntries(DELIVERY_STATUSES.map((k) => [k, c[k] ?? 0])) as Record<DeliveryStatus, number>;
    const counts = full(s.counts);
    const settled = SETTLED.reduce((n, k) => n + counts[k], 0);
    return {
      destination_id: d.id,
      site_id: d.siteId,
      destination: d.slug,
      window: { since: iso(w.since), until: iso(w.until), bucket_seconds: Math.round(w.bucketMs / 1000) },
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      counts,
      success_rate: settled === 0 ? null : counts.delivered / settled,
      latency_ms: s.latencyMs,
      buckets: s.buckets.map((b) => ({ start: iso(b.start), counts: full(b.counts) })),
    };
  }

  async destinationStats(id: number, q: { since?: string; until?: string; bucket?: string }) {
    const d = await this.requireDestination(id);
    return this.statsOf(d, this.statsWindow(q));
  }

  async stats(q: { site?: string; destination?: string; since?: string; until?: string; bucket?: string }) {
    const w = this.statsWindow(q);
    if (q.site !== undefined) await this.requireSite(q.site);
    const all = (await this.store.listDestinations({ siteId: q.site })).filter((d) => q.destination === undefined || d.slug === q.destination);
    return Promise.all(all.map((d) => this.statsOf(d, w)));
  }

  // ── Events and deliveries ──

  private async eventJson(e: EventView): Promise<EventJson> {
    const decisions = await this.store.listDecisions({ siteId: e.siteId, eventId: e.eventId });
    return {
      site_id: e.siteId,
      event_id: e.eventId,
      event_name: e.eventName,
      event_time: e.eventTime,
      source: e.source,
      received_at: iso(e.receivedAt),
      event: e.event as unknown as Record<string, unknown>,
      deliveries: e.deliveries.map((d) => ({
        id: d.id,
        destination_id: d.destinationId,
        destination: d.destination,
        mode: d.mode,
        platform_event_name: d.platformEventName,
        status: d.status,
        attempts: d.attempts,
        next_attempt_at: isoOrNull(d.nextAttemptAt),
        last_status: d.lastStatus,
        last_error: d.lastError,
        payload: d.payload,
        latency_ms: d.latencyMs,
        updated_at: iso(d.updatedAt),
      })),
      decisions: decisions.map((x): Out<typeof decisionSchema> => ({
        id: x.id,
        event_id: x.eventId,
        kept_event_id: x.keptEventId,
        event_name: x.eventName,
        order_id: x.orderId,
        source: x.source,
        received_at: iso(x.receivedAt),
        action: x.action,
        merged_fields: x.mergedFields,
        reason: x.reason,
      })),
    };
  }

  async searchEvents(q: {
    limit: number;
    site?: string;
    event_id?: string;
    order_id?: string;
    name?: string;
    since?: string;
    until?: string;
    cursor?: string;
  }): Promise<{ events: EventJson[]; next_cursor?: string }> {
    const before = decodeCursor(q.cursor, (v): v is { b: number } => isNum((v as { b?: unknown } | null)?.b));
    const { since, until } = this.window(q.since, q.until);
    const rows = await this.store.searchEvents({
      siteId: q.site,
      eventId: q.event_id,
      orderId: q.order_id,
      eventName: q.name,
      since,
      until,
      beforeId: before?.b,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const events = await Promise.all(page.map((e) => this.eventJson(e)));
    return rows.length > q.limit ? { events, next_cursor: encodeCursor({ b: page.at(-1)!.id }) } : { events };
  }

  async getEvent(siteId: string, eventId: string): Promise<EventJson> {
    const [e] = await this.store.searchEvents({ siteId, eventId, limit: 1 });
    if (!e) throw new AdminError(404, 'not_found', `site ${siteId} has no event ${eventId}`);
    return this.eventJson(e);
  }

  deliveryJson(r: DeliveryRow): DeliveryRowJson {
    return {
      id: r.id,
      site_id: r.siteId,
      event_id: r.eventId,
      event_name: r.eventName,
      event_time: r.eventTime,
      destination_id: r.destinationId,
      destination: r.destination,
      mode: r.mode,
      platform_event_name: r.platformEventName,
      status: r.status,
      attempts: r.attempts,
      next_attempt_at: isoOrNull(r.nextAttemptAt),
      last_status: r.lastStatus,
      last_error: r.lastError,
      latency_ms: r.latencyMs,
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
    };
  }

  async listDeliveries(q: {
    limit: number;
    status?: DeliveryStatus[];
    destination?: DestinationSlug;
    destination_id?: number;
    site?: string;
    since?: string;
    until?: string;
    cursor?: string;
  }): Promise<{ deliveries: DeliveryRowJson[]; next_cursor?: string }> {
    const before = decodeCursor(q.cursor, (v): v is { u: number; i: number } => isNum((v as { u?: unknown } | null)?.u) && isNum((v as { i?: unknown }).i));
    const { since, until } = this.window(q.since, q.until);
    const rows = await this.store.searchDeliveries({
      siteId: q.site,
      slug: q.destination,
      destinationId: q.destination_id,
      statuses: q.status,
      since,
      until,
      before: before ? { updatedAt: before.u, id: before.i } : undefined,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const deliveries = page.map((r) => this.deliveryJson(r));
    return rows.length > q.limit && last ? { deliveries, next_cursor: encodeCursor({ u: last.updatedAt, i: last.id }) } : { deliveries };
  }

  // ── Replay ──

  async replay(body: z.output<typeof replayBody>, actor: string): Promise<ReplayResultJson> {
    const now = this.clock();
    const nowS = Math.floor(now / 1000);
    const scope: ReplayScope = body.event_id !== undefined ? 'event' : body.destination !== undefined || body.destination_id !== undefined ? 'destination' : 'window';
    const { since, until } = this.window(body.since, body.until);
    if (body.site_id !== undefined) await this.requireSite(body.site_id);
    if (body.destination !== undefined) this.requireImpl(body.destination);
    if (body.destination_id !== undefined) await this.requireDestination(body.destination_id);
    const statuses = body.statuses ?? (scope === 'event' ? [...REPLAYABLE_STATUSES] : ['failed', 'dead']);

    const candidates = await this.store.replayCandidates({
      siteId: body.site_id,
      eventId: body.event_id,
      destinationId: body.destination_id,
      slug: body.destination,
      since,
      until,
      statuses,
      limit: MAX_REPLAY + 1,
    });
    if (candidates.length > MAX_REPLAY) {
      throw new AdminError(422, 'too_many', `more than ${MAX_REPLAY} deliveries match; narrow the replay (a shorter window, one destination or one site)`);
    }
    if (candidates.length === 0) {
      const what = `${statuses.join(', ')} deliveries`;
      if (scope === 'event') {
        const found = await this.store.searchEvents({ siteId: body.site_id, eventId: body.event_id, limit: 1 });
        if (found.length === 0) throw new AdminError(404, 'not_found', `no event ${body.event_id}${body.site_id ? ` at site ${body.site_id}` : ''}`);
        throw new AdminError(404, 'nothing_to_replay', `event ${body.event_id} has no ${what}${body.destination ? ` to ${body.destination}` : ''} to replay (deliveries still pending or retrying are being sent already)`);
      }
      throw new AdminError(404, 'nothing_to_replay', `no ${what} match; nothing to replay`);
    }

    const allowed: ReplayCandidate[] = [];
    const refused: Array<{ delivery_id: number; destination: string; event_id: string; reason: string }> = [];
    const tooOld = new Map<string, { label: string; max: number; count: number }>();
    for (const c of candidates) {
      const impl = this.impl(c.destination);
      if (!impl) {
        refused.push({ delivery_id: c.deliveryId, destination: c.destination, event_id: c.eventId, reason: `this relay has no destination "${c.destination}"` });
        continue;
      }
      const age = nowS - c.eventTime;
      const limit = impl.maxEventAgeSeconds - REPLAY_MARGIN_SECONDS;
      if (age > limit) {
        refused.push({
          delivery_id: c.deliveryId,
          destination: c.destination,
          event_id: c.eventId,
          reason: `the event is ${formatDuration(age)} old; ${impl.label} accepts events up to ${formatDuration(impl.maxEventAgeSeconds)} old, so it can no longer be replayed`,
        });
        const t = tooOld.get(c.destination) ?? { label: impl.label, max: impl.maxEventAgeSeconds, count: 0 };
        t.count++;
        tooOld.set(c.destination, t);
        continue;
      }
      allowed.push(c);
    }

    const reason =
      refused.length === 0
        ? null
        : [
            ...[...tooOld.values()].map((t) => `${t.count} too old for ${t.label} (it accepts events up to ${formatDuration(t.max)} old)`),
            ...(refused.length > [...tooOld.values()].reduce((n, t) => n + t.count, 0) ? ['some belong to destinations this relay does not have'] : []),
          ].join('; ');

    const warnings: string[] = [];
    for (const destinationId of new Set(allowed.map((c) => c.destinationId))) {
      const d = await this.store.getDestination(destinationId);
      if (!d) continue;
      const name = `${this.impl(d.slug)?.label ?? d.slug} (site ${d.siteId}, destination ${d.id})`;
      if (!d.enabled) warnings.push(`${name} is disabled: the replayed deliveries wait until it is enabled`);
      if (d.parkedAt !== null) warnings.push(`${name} is parked (${d.parkedReason ?? 'credentials refused'}): fix its credentials for the replay to go out`);
      if (d.mode === 'dry_run') warnings.push(`${name} is in dry run: the replay rebuilds the payloads but sends nothing`);
    }

    const { requested_by: _by, statuses: _s, ...params } = body;
    const record = await this.store.requeueForReplay(
      {
        requestedBy: actor,
        scope,
        params: { ...params, statuses },
        deliveryIds: allowed.map((c) => c.deliveryId),
        refused: refused.length,
        reason,
      },
      now,
    );
    if (record.requeued > 0) this.deps.kick?.();
    if (record.requeued === 0) {
      throw new AdminError(
        422,
        'replay_refused',
        refused.length > 0
          ? `nothing was replayed: ${reason} (replay #${record.id} recorded)`
          : 'nothing was replayed: the matching deliveries are being sent already',
      );
    }
    return {
      replay: replayJson(record),
      requeued: record.requeued,
      refused: refused.slice(0, 100),
      refused_count: refused.length,
      warnings,
    };
  }

  /**
   * Recorded replays, newest first. With `siteId`, only replays that named that site (every
   * replay a site asks for does); looks through the most recent 5000.
   */
  async listReplays(limit: number, siteId?: string): Promise<Array<Out<typeof replaySchema>>> {
    if (siteId === undefined) return (await this.store.listReplays(limit)).map(replayJson);
    const recent = await this.store.listReplays(5000);
    return recent.filter((r) => (r.params as { site_id?: unknown }).site_id === siteId).slice(0, limit).map(replayJson);
  }

  // ── Privacy ──

  async privacyDelete(body: z.output<typeof privacyDeleteBody>, actor: string): Promise<Out<typeof privacyDeleteResultSchema>> {
    const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    if (body.site_id !== undefined) await this.requireSite(body.site_id);
    // Hashed exactly as the plugin and the SDK hash external_id (docs/CONTRACT.md: trim, SHA-256).
    const external = [
      ...list(body.external_id).map((raw) => createHash('sha256').update(raw.trim(), 'utf8').digest('hex')),
      ...list(body.external_id_sha256),
    ];
    const counts = await this.store.privacyDelete(
      { siteId: body.site_id, externalId: external, email: list(body.email_sha256), phone: list(body.phone_sha256) },
      { dryRun: body.dry_run, requestedBy: actor, now: this.clock() },
    );
    return {
      dry_run: body.dry_run,
      deleted: {
        events: counts.events,
        deliveries: counts.deliveries,
        decisions: counts.decisions,
        order_keys: counts.orderKeys,
        replay_items: counts.replayItems,
        identities: counts.identities,
      },
    };
  }
}

function replayJson(r: ReplayRecord): Out<typeof replaySchema> {
  return {
    id: r.id,
    requested_at: iso(r.requestedAt),
    requested_by: r.requestedBy,
    scope: r.scope,
    params: r.params,
    requeued: r.requeued,
    refused: r.refused,
    reason: r.reason,
  };
}
