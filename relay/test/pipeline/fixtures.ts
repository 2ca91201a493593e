/**
 * Pipeline test fixtures: an "echo" destination whose payload carries everything the pipeline
 * decided (the merged identity, context, commerce and consent, and ctx.privacy), so a test can
 * assert exactly what a platform would have received; and a harness around the app, an
 * in-memory store and a worker running on a clock the test moves.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { CanonicalEventInput } from '../../src/contract/event.js';
import { createHttpClient, type HttpClient } from '../../src/delivery/http.js';
import { DeliveryWorker, type WorkerOptions } from '../../src/delivery/worker.js';
import type { DestinationRegistry } from '../../src/destinations/registry.js';
import type { DeliveryOutcome, Destination, DestinationSlug, PrivacyContext } from '../../src/destinations/types.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { DeliveryView, DestinationRecord } from '../../src/store/types.js';
import { postEvents, SECRET, SITE, testConfig } from '../helpers.js';

export const T0_S = 1_764_000_000;
export const T0 = T0_S * 1000;
export const TOKEN = 'echo-token-123456';

export interface EchoPayload {
  name: string;
  id: string;
  identity: Record<string, string>;
  context: Record<string, unknown>;
  commerce: Record<string, unknown> | null;
  consent: Record<string, unknown> | null;
  privacy: PrivacyContext | null;
}

const echoSettings = z.object({ api_token: z.string().min(8).meta({ secret: true }) }).strict();

export interface EchoOptions {
  /** One entry per send call; default: every payload delivered. */
  script?: Array<(payloads: unknown[], signal?: AbortSignal) => DeliveryOutcome[] | Promise<DeliveryOutcome[]>>;
  /** Used for every send once the script is exhausted. */
  send?: (payloads: unknown[], signal?: AbortSignal) => DeliveryOutcome[] | Promise<DeliveryOutcome[]>;
  maxBatchSize?: number;
}

export function createEchoDestination(slug: string, opts: EchoOptions = {}) {
  const sends: EchoPayload[][] = [];
  const destination: Destination<z.infer<typeof echoSettings>> = {
    slug,
    label: `Echo ${slug}`,
    settings: echoSettings,
    maxBatchSize: opts.maxBatchSize ?? 50,
    batchRejection: 'per-item',
    maxEventAgeSeconds: 30 * 86_400,
    defaultEventMap: { lead: 'Lead', purchase: 'Purchase', refund: 'Refund', page_view: 'PageView', add_to_cart: 'AddToCart', begin_checkout: 'Checkout' },
    defaultBaseUrl: 'http://127.0.0.1:9',
    map(event, ctx) {
      const payload: EchoPayload = {
        name: ctx.platformEventName,
        id: event.event_id,
        identity: event.identity as Record<string, string>,
        context: event.context,
        commerce: event.commerce ?? null,
        consent: event.consent ?? null,
        privacy: ctx.privacy ?? null,
      };
      return { ok: true, payload };
    },
    async send(payloads, ctx) {
      sends.push(payloads as EchoPayload[]);
      const scripted = opts.script?.shift() ?? opts.send;
      if (scripted) return scripted(payloads, ctx.signal);
      return payloads.map((): DeliveryOutcome => ({ kind: 'delivered', status: 200 }));
    },
  };
  return { destination, sends, payloads: () => sends.flat() };
}

export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

export interface Harness {
  app: FastifyInstance;
  store: SqliteStore;
  http: HttpClient;
  registry: Partial<DestinationRegistry>;
  /** The test clock (ms); move it with `at`. */
  now: () => number;
  at(ms: number): void;
  post(events: CanonicalEventInput[], site?: string): ReturnType<typeof postEvents>;
  worker(o?: Partial<WorkerOptions>): DeliveryWorker;
  addDestination(slug: string, o?: { siteId?: string; mode?: 'live' | 'dry_run' }): Promise<DestinationRecord>;
  /** Delivery rows of one event, by destination slug. */
  deliveries(eventId: string): Promise<Record<string, DeliveryView>>;
  close(): Promise<void>;
}

/** App + in-memory store + clock; destinations are echo destinations registered under `slugs`. */
export async function harness(
  destinations: Record<string, ReturnType<typeof createEchoDestination>>,
  config: Partial<Config> = {},
): Promise<Harness> {
  let nowMs = T0;
  const store = openSqliteStore(':memory:');
  await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
  const registry = Object.fromEntries(Object.entries(destinations).map(([slug, d]) => [slug, d.destination])) as Partial<DestinationRegistry>;
  const app = await buildApp({
    config: testConfig({ mergeWindowSeconds: 5, ...config }),
    registry,
    store,
    startWorker: false,
    clock: () => nowMs,
  });
  const http = createHttpClient({ defaultTimeoutMs: 2_000 });
  const workers: DeliveryWorker[] = [];
  let seq = 0;
  return {
    app,
    store,
    http,
    registry,
    now: () => nowMs,
    at(ms) {
      nowMs = ms;
    },
    post(events, site = SITE) {
      return postEvents(app, { events }, { timestamp: Math.floor(nowMs / 1000), site, requestId: `req-${++seq}-${nowMs}` });
    },
    worker(o = {}) {
      const w = new DeliveryWorker({
        store,
        registry,
        http,
        logger: silentLogger,
        intervalMs: 20,
        concurrency: 8,
        now: () => nowMs,
        random: () => 0.5,
        ...o,
      });
      workers.push(w);
      return w;
    },
    addDestination(slug, o = {}) {
      return store.upsertDestination({
        siteId: o.siteId ?? SITE,
        slug: slug as DestinationSlug,
        enabled: true,
        mode: o.mode ?? 'live',
        settings: { api_token: TOKEN },
      });
    },
    async deliveries(eventId) {
      const events = await store.listEvents({ limit: 1000 });
      const e = events.find((x) => x.eventId === eventId);
      if (!e) throw new Error(`no event ${eventId}`);
      return Object.fromEntries(e.deliveries.map((d) => [d.destination, d]));
    },
    async close() {
      for (const w of workers) await w.stop(500);
      await app.close();
      await http.close();
      await store.close();
    },
  };
}

export const GRANTED = {
  ad_storage: 'granted',
  analytics_storage: 'granted',
  ad_user_data: 'granted',
  ad_personalization: 'granted',
} as const;

export const hex = (c: string) => c.repeat(64);
