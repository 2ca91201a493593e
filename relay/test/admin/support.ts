/** Shared set-up for the admin API tests: an app with an admin token, a store and a clock. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { canonicalEventSchema, type CanonicalEvent } from '../../src/contract/event.js';
import type { DestinationRegistry } from '../../src/destinations/registry.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { DeliveryStatus } from '../../src/store/types.js';
import { makeEvent, SECRET, SITE, testConfig } from '../helpers.js';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const T0 = 1_764_000_000_000; // 2025-11-24T16:00:00Z

export interface AdminFixture {
  app: FastifyInstance;
  store: SqliteStore;
  clock: { now: number };
  /** An authorized request. */
  call(method: InjectOptions['method'], url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function adminFixture(
  registry: Partial<DestinationRegistry>,
  opts: { config?: Parameters<typeof testConfig>[0]; app?: Partial<AppOptions>; store?: SqliteStore } = {},
): Promise<AdminFixture> {
  const store = opts.store ?? openSqliteStore(':memory:');
  await store.upsertSite({ siteId: SITE, secrets: [SECRET] }, T0);
  const clock = { now: T0 };
  const app = await buildApp({
    config: testConfig({ adminToken: ADMIN_TOKEN, ...opts.config }),
    registry,
    store,
    startWorker: false,
    clock: () => clock.now,
    ...opts.app,
  });
  return {
    app,
    store,
    clock,
    call: (method, url, payload, headers = {}) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      }),
    async close() {
      await app.close();
      await store.close().catch(() => undefined);
    },
  };
}

let seq = 0;

/** Stores events directly (any event_time, no signature) with one pending delivery per destination. */
export async function seedEvents(
  store: SqliteStore,
  events: Array<Parameters<typeof makeEvent>[0]>,
  opts: { siteId?: string; destinations?: number[]; receivedAt?: number; platformEventName?: string } = {},
): Promise<CanonicalEvent[]> {
  const parsed = events.map((e) => canonicalEventSchema.parse(makeEvent(e)));
  await store.ingest({
    siteId: opts.siteId ?? SITE,
    requestId: `seed-${++seq}-${Date.now()}`,
    requestIdExpiresAt: (opts.receivedAt ?? T0) + 300_000,
    receivedAt: opts.receivedAt ?? T0,
    events: parsed.map((event) => ({
      event,
      deliveries: (opts.destinations ?? []).map((destinationId) => ({
        destinationId,
        status: 'pending' as const,
        platformEventName: opts.platformEventName ?? 'Lead',
      })),
    })),
  });
  return parsed;
}

/** Claims every due delivery of a destination and settles it with `status`. */
export async function settleAll(
  store: SqliteStore,
  destinationId: number,
  status: DeliveryStatus,
  opts: { now?: number; lastError?: string | null; lastStatus?: number | null; latencyMs?: number | null; attempts?: number } = {},
): Promise<number> {
  const now = opts.now ?? T0 + 60_000;
  const claimed = await store.claimDeliveries(destinationId, { now, limit: 10_000, leaseMs: 60_000 });
  return store.completeDeliveries(
    claimed.map((c) => ({
      id: c.id,
      leaseToken: c.leaseToken,
      status,
      attempts: opts.attempts ?? 1,
      nextAttemptAt: null,
      lastStatus: opts.lastStatus ?? (status === 'delivered' ? 200 : status === 'failed' ? 400 : null),
      lastError: opts.lastError ?? (status === 'failed' ? 'rejected by the platform' : null),
      payload: { id: c.event.event_id },
      latencyMs: opts.latencyMs ?? 100,
    })),
    now,
  );
}
