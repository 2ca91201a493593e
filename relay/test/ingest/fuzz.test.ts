/**
 * Property: whatever arrives — random bytes, random JSON, random or half-valid headers — the
 * relay answers with a 4xx (never 5xx, never a crash), stores nothing it should not, and stays
 * healthy for the next request.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, makeEvent, postEvents, SECRET, signed, SITE, testConfig } from '../helpers.js';

describe('ingest under random input', () => {
  let store: SqliteStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = openSqliteStore(':memory:');
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    app = await buildApp({ config: testConfig({ bodyLimitBytes: 4096 }), registry: createTestDestination().registry, store, startWorker: false });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const headerValue = fc.oneof(fc.string({ maxLength: 80 }), fc.constant(SITE), fc.constant(`v1=${'a'.repeat(64)}`), fc.nat().map(String));
  const contentType = fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data; boundary=x', undefined);

  it('unsigned or wrongly signed requests get a 4xx and the server stays healthy', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 6000 }).map((b) => Buffer.from(b)), fc.json().map((j) => Buffer.from(j))),
        fc.record(
          {
            'x-layersync-site': headerValue,
            'x-layersync-request-id': headerValue,
            'x-layersync-timestamp': headerValue,
            'x-layersync-signature': headerValue,
          },
          { requiredKeys: [] },
        ),
        contentType,
        async (body, headers, ct) => {
          const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v) && v.trim() !== ''));
          const res = await app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { ...clean, ...(ct ? { 'content-type': ct } : {}) },
            payload: body,
          });
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
          const json = res.json() as { error?: string; message?: string };
          expect(typeof json.error).toBe('string');
          expect(typeof json.message).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect(await store.listEvents({ limit: 1 })).toEqual([]);
  });

  it('correctly signed random bodies get 202 only with a valid event, otherwise a 4xx', async () => {
    const junkEvent = fc.oneof(
      fc.anything(),
      fc.record({ event_id: fc.string(), event_name: fc.string(), event_time: fc.oneof(fc.integer(), fc.double()), source: fc.string() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.json(), fc.array(junkEvent, { maxLength: 5 }).map((events) => JSON.stringify({ events }))),
        async (text) => {
          const s = signed(text);
          const res = await app.inject({ method: 'POST', url: '/v1/events', headers: s.headers, payload: s.payload });
          expect([400, 413]).toContain(res.statusCode);
        },
      ),
      { numRuns: 300 },
    );
    // Still healthy and still accepting real events.
    const ok = await postEvents(app, { events: [makeEvent()] });
    expect(ok.statusCode).toBe(202);
  });
});
