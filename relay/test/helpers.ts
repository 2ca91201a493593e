/**
 * Shared test fixtures: a configuration, canonical events, signed requests, and a small
 * configurable test destination so relay tests do not depend on a real platform's mapper.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../src/config.js';
import type { CanonicalEventInput } from '../src/contract/event.js';
import type { DestinationRegistry } from '../src/destinations/registry.js';
import type { DeliveryOutcome, Destination } from '../src/destinations/types.js';
import { signRequest } from '../src/sign.js';
import { uuidv7 } from '../src/util/uuidv7.js';

/** A lowercase, hyphenated UUIDv7 (RFC 9562). */
export const UUID7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const SITE = 'test-site';
export const SECRET = 'a'.repeat(64);
export const SECRET_2 = 'b'.repeat(64);
export const EMAIL_HASH = '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b'; // sha256("test@example.com")

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'layersync-relay-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    host: '127.0.0.1',
    port: 8787,
    dbPath: ':memory:',
    logLevel: 'silent',
    bodyLimitBytes: 1024 * 1024,
    signatureToleranceSeconds: 300,
    adminToken: undefined,
    workerIntervalMs: 50,
    retentionDays: 90,
    workerConcurrency: 4,
    shutdownTimeoutMs: 2_000,
    metaBaseUrl: undefined,
    dedupWindowSeconds: 7 * 86_400,
    // No browser/server hold in tests unless a test sets one: deliveries are due at once.
    mergeWindowSeconds: 0,
    rateLimitEventsPerSecond: 0,
    rateLimitBurst: 1000,
    destinationConcurrency: 1,
    ...overrides,
  };
}

export function makeEvent(overrides: Partial<CanonicalEventInput> = {}): CanonicalEventInput {
  return {
    event_id: uuidv7(),
    event_name: 'lead',
    event_time: Math.floor(Date.now() / 1000),
    source: 'server',
    identity: { em: EMAIL_HASH },
    ...overrides,
  };
}

export interface SignedPost {
  headers: Record<string, string>;
  payload: string;
}

export function signed(body: unknown, opts: { secret?: string; site?: string; requestId?: string; timestamp?: number } = {}): SignedPost {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signRequest({
    siteId: opts.site ?? SITE,
    secret: opts.secret ?? SECRET,
    body: payload,
    requestId: opts.requestId,
    timestamp: opts.timestamp,
  });
  return { headers, payload };
}

export function postEvents(app: FastifyInstance, body: unknown, opts: Parameters<typeof signed>[1] = {}) {
  const s = signed(body, opts);
  return app.inject({ method: 'POST', url: '/v1/events', headers: s.headers, payload: s.payload });
}

export const testSettings = z
  .object({
    endpoint: z.string().default('/collect'),
    api_token: z.string().min(8).meta({ secret: true }),
  })
  .strict();
export type TestSettings = z.infer<typeof testSettings>;

export interface TestDestinationOptions {
  /** Outcomes for the next sends (one entry per send call, applied to every payload); default delivered. */
  script?: Array<(payloads: unknown[]) => DeliveryOutcome[]>;
  maxBatchSize?: number;
  maxEventAgeSeconds?: number;
  batchRejection?: Destination['batchRejection'];
}

/**
 * A minimal destination: maps `lead` and `purchase`, sends JSON `{events:[…]}` to
 * `{baseUrl}{endpoint}` with a Bearer token, and classifies 2xx/429/5xx/401/400 like a platform.
 */
export function createTestDestination(opts: TestDestinationOptions = {}) {
  const sends: unknown[][] = [];
  const destination: Destination<TestSettings> = {
    slug: 'meta',
    label: 'Test Platform',
    settings: testSettings,
    maxBatchSize: opts.maxBatchSize ?? 10,
    maxEventAgeSeconds: opts.maxEventAgeSeconds ?? 7 * 86_400,
    batchRejection: opts.batchRejection,
    defaultEventMap: { lead: 'Lead', purchase: 'Purchase' },
    defaultBaseUrl: 'http://127.0.0.1:9',
    map(event, ctx) {
      if (event.event_name === 'purchase' && event.commerce?.value === undefined) {
        return { ok: false, skip: false, reason: 'purchase needs commerce.value' };
      }
      return {
        ok: true,
        payload: {
          name: ctx.platformEventName,
          id: event.event_id,
          time: event.event_time,
          em: event.identity.em ?? null,
          value: event.commerce?.value ?? null,
        },
      };
    },
    async send(payloads, ctx) {
      sends.push(payloads);
      const scripted = opts.script?.shift();
      if (scripted) return scripted(payloads);
      const base = ctx.baseUrl ?? destination.defaultBaseUrl;
      try {
        const res = await ctx.http.request({
          method: 'POST',
          url: `${base}${ctx.settings.endpoint}`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.settings.api_token}` },
          body: JSON.stringify({ events: payloads }),
          timeoutMs: 2_000,
          signal: ctx.signal,
        });
        const one = (): DeliveryOutcome => {
          if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status };
          if (res.status === 401) return { kind: 'auth', status: 401, error: res.body };
          if (res.status === 429 || res.status >= 500) {
            const ra = res.headers['retry-after'];
            return { kind: 'retry', status: res.status, error: res.body, retryAfterMs: ra ? Number(ra) * 1000 : undefined };
          }
          return { kind: 'drop', status: res.status, error: res.body };
        };
        return payloads.map(one);
      } catch (err) {
        return payloads.map(() => ({ kind: 'retry', error: (err as Error).message }));
      }
    },
  };
  const registry: Partial<DestinationRegistry> = { meta: destination };
  return { destination, registry, sends };
}
