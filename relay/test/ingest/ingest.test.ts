import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MAX_EVENTS_PER_REQUEST } from '../../src/contract/event.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { StoreUnavailableError, type Store } from '../../src/store/types.js';
import { createTestDestination, makeEvent, postEvents, SECRET, SECRET_2, signed, SITE, tempDir, testConfig } from '../helpers.js';

const NOW_S = 1_764_000_000;

// Every test runs twice: processed on the main thread around an injected store, and on the ingest
// thread (its own connection to the test's store file), as a relay serving a file does.
describe.each([{ mode: 'main thread' }, { mode: 'ingest thread' }])('POST /v1/events ($mode)', ({ mode }) => {
  let store: SqliteStore;
  let app: FastifyInstance;
  let nowMs = NOW_S * 1000;
  let dir: ReturnType<typeof tempDir> | undefined;
  let file = ':memory:';

  async function build(opts: { store?: Store; bodyLimitBytes?: number } = {}) {
    app = await buildApp({
      config: testConfig({ bodyLimitBytes: opts.bodyLimitBytes ?? 1024 * 1024 }),
      registry: createTestDestination().registry,
      store: opts.store ?? store,
      // A test's own store (a failing one) is used on the main thread.
      ingestThread: mode === 'ingest thread' && !opts.store ? { file } : undefined,
      startWorker: false,
      clock: () => nowMs,
    });
  }

  beforeEach(async () => {
    nowMs = NOW_S * 1000;
    if (mode === 'ingest thread') {
      dir = tempDir();
      file = path.join(dir.dir, 'relay.sqlite');
    }
    store = openSqliteStore(file);
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    await build();
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    dir?.cleanup();
    dir = undefined;
    file = ':memory:';
  });

  const event = (o: Parameters<typeof makeEvent>[0] = {}) => makeEvent({ event_time: NOW_S - 10, ...o });

  it('accepts valid events with 202 and stores them', async () => {
    const e1 = event();
    const e2 = event({ event_name: 'purchase', commerce: { value: 12.5, currency: 'EUR' } });
    const res = await postEvents(app, { events: [e1, e2] }, { timestamp: NOW_S });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      accepted: 2,
      merged: 0,
      duplicate: 0,
      rejected: 0,
      results: [
        { index: 0, event_id: e1.event_id, status: 'accepted' },
        { index: 1, event_id: e2.event_id, status: 'accepted' },
      ],
    });
    const stored = await store.listEvents({ limit: 10 });
    expect(stored.map((e) => e.eventId).sort()).toEqual([e1.event_id, e2.event_id].sort());
    const purchase = stored.find((e) => e.eventId === e2.event_id)!;
    expect(purchase.event.commerce).toEqual({ value: 12.5, currency: 'EUR' });
    expect(purchase.receivedAt).toBe(nowMs);
  });

  it('reports duplicates by (site, event_id) within a request and across requests', async () => {
    const e = event();
    const first = await postEvents(app, { events: [e, e] }, { timestamp: NOW_S });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ accepted: 1, duplicate: 1, rejected: 0 });
    expect(first.json().results[1]).toMatchObject({ status: 'duplicate', event_id: e.event_id });
    expect(first.json().results[1].reason).toMatch(/already received/);

    const again = await postEvents(app, { events: [e] }, { timestamp: NOW_S });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ accepted: 0, duplicate: 1, rejected: 0 });
    expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
  });

  it('keeps the same event_id for different sites apart', async () => {
    await store.upsertSite({ siteId: 'other-site', secrets: [SECRET_2] });
    const e = event();
    expect((await postEvents(app, { events: [e] }, { timestamp: NOW_S })).json().accepted).toBe(1);
    const res = await postEvents(app, { events: [e] }, { timestamp: NOW_S, site: 'other-site', secret: SECRET_2 });
    expect(res.json().accepted).toBe(1);
  });

  it('rejects invalid events individually with the path and a plain reason', async () => {
    const good = event();
    const res = await postEvents(
      app,
      {
        events: [
          good,
          { ...event(), identity: { em: 'Someone@Example.com' } },
          { ...event(), event_time: 'yesterday' },
          'not an object',
          { ...event(), commerce: { value: 10 } },
        ],
      },
      { timestamp: NOW_S },
    );
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 1, duplicate: 0, rejected: 4 });
    expect(body.results[0]).toEqual({ index: 0, event_id: good.event_id, status: 'accepted' });
    expect(body.results[1].status).toBe('rejected');
    expect(body.results[1].reason).toBe(
      'identity.em: must be a SHA-256 hash: 64 lowercase hex characters (hash the normalized value before sending)',
    );
    // The raw email is never echoed back.
    expect(JSON.stringify(body)).not.toContain('Someone@Example.com');
    expect(body.results[2].reason).toMatch(/^event_time: .*expected number/);
    expect(body.results[3]).toMatchObject({ index: 3, event_id: null, status: 'rejected' });
    expect(body.results[3].reason).toMatch(/expected object/);
    expect(body.results[4].reason).toBe('commerce.currency: currency is required when value is set');
    expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
  });

  it('answers 400 with the same shape when every event is rejected', async () => {
    const res = await postEvents(app, { events: [{ event_id: 'x' }] }, { timestamp: NOW_S });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 0, duplicate: 0, rejected: 1 });
    expect(body.results[0]).toMatchObject({ index: 0, event_id: 'x', status: 'rejected' });
    expect(body.results[0].reason).toContain('event_name:');
    expect(body.message).toMatch(/every event failed validation/);
    expect(await store.listEvents({ limit: 10 })).toHaveLength(0);
  });

  it('rejects milliseconds passed as event_time', async () => {
    const res = await postEvents(app, { events: [event({ event_time: NOW_S * 1000 })] }, { timestamp: NOW_S });
    expect(res.statusCode).toBe(400);
    expect(res.json().results[0].reason).toMatch(/^event_time: must be unix seconds/);
  });

  describe('headers and signature', () => {
    it('401 missing_headers names each missing header', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const headers = { ...s.headers };
      delete headers['x-layersync-signature'];
      delete headers['x-layersync-timestamp'];
      const res = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: s.payload });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('missing_headers');
      expect(res.json().message).toMatch(/^missing X-LayerSync-Timestamp, X-LayerSync-Signature; sign every request/);
    });

    it('401 missing_headers for a malformed timestamp or signature', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const badTs = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...s.headers, 'x-layersync-timestamp': '2025-11-23T10:00:00Z' },
        payload: s.payload,
      });
      expect(badTs.statusCode).toBe(401);
      expect(badTs.json()).toEqual({
        error: 'missing_headers',
        message: 'X-LayerSync-Timestamp must be unix time in whole seconds, got "2025-11-23T10:00:00Z"',
      });
      const badSig = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...s.headers, 'x-layersync-signature': 'sha256=abc' },
        payload: s.payload,
      });
      expect(badSig.statusCode).toBe(401);
      expect(badSig.json().message).toMatch(/^X-LayerSync-Signature must be "v1=" followed by the 64-character hex/);
    });

    it('401 unknown_site says how to add the site', async () => {
      const res = await postEvents(app, { events: [event()] }, { timestamp: NOW_S, site: 'nope' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: 'unknown_site',
        message: 'this relay has no site "nope"; check the site id in the plugin settings or add it with: layersync-relay sites add --id nope',
      });
    });

    it('401 bad_signature for a wrong secret, a changed body, or a re-serialized body', async () => {
      const wrong = await postEvents(app, { events: [event()] }, { timestamp: NOW_S, secret: SECRET_2 });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error).toBe('bad_signature');
      expect(wrong.json().message).toMatch(/sign "\{request_id\}\.\{timestamp\}\.\{body\}" with HMAC-SHA256/);

      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const tampered = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: s.headers,
        payload: s.payload.replace('"lead"', '"sign_up"'),
      });
      expect(tampered.statusCode).toBe(401);
      expect(tampered.json().error).toBe('bad_signature');

      // Same JSON value, different bytes: the signature covers bytes.
      const reformatted = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: s.headers,
        payload: JSON.stringify(JSON.parse(s.payload), null, 2),
      });
      expect(reformatted.json().error).toBe('bad_signature');
      expect(await store.listEvents({ limit: 10 })).toHaveLength(0);
    });

    it('accepts either active secret during rotation, and several signatures in one header', async () => {
      await store.upsertSite({ siteId: SITE, secrets: [SECRET_2, SECRET] });
      const withNew = await postEvents(app, { events: [event()] }, { timestamp: NOW_S, secret: SECRET_2 });
      expect(withNew.statusCode).toBe(202);
      const withOld = await postEvents(app, { events: [event()] }, { timestamp: NOW_S, secret: SECRET });
      expect(withOld.statusCode).toBe(202);

      const s = signed({ events: [event()] }, { timestamp: NOW_S, secret: SECRET_2 });
      const sig = s.headers['x-layersync-signature']!;
      const both = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...s.headers, 'x-layersync-signature': `v1=${'0'.repeat(64)} ${sig}` },
        payload: s.payload,
      });
      expect(both.statusCode).toBe(202);

      // After rotation completes, the old secret stops working.
      await store.upsertSite({ siteId: SITE, secrets: [SECRET_2] });
      const retired = await postEvents(app, { events: [event()] }, { timestamp: NOW_S, secret: SECRET });
      expect(retired.statusCode).toBe(401);
      expect(retired.json().error).toBe('bad_signature');
    });

    it('accepts timestamps exactly at ±tolerance and rejects one second beyond', async () => {
      for (const [ts, status] of [
        [NOW_S - 300, 202],
        [NOW_S + 300, 202],
        [NOW_S - 301, 401],
        [NOW_S + 301, 401],
      ] as const) {
        const res = await postEvents(app, { events: [event()] }, { timestamp: ts });
        expect(res.statusCode, `timestamp ${ts - NOW_S}`).toBe(status);
      }
      const past = await postEvents(app, { events: [event()] }, { timestamp: NOW_S - 301 });
      expect(past.json()).toEqual({
        error: 'stale_timestamp',
        message:
          "X-LayerSync-Timestamp is 301 s in the past; the relay accepts ±300 s. Sign each request when it is sent, and check the sender's clock (NTP)",
      });
      const future = await postEvents(app, { events: [event()] }, { timestamp: NOW_S + 400 });
      expect(future.json().message).toMatch(/^X-LayerSync-Timestamp is 400 s in the future/);
    });

    it('409 replayed_request for a request id seen within the window', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S, requestId: '0192f5c4-0000-7000-8000-000000000001' });
      const send = () => app.inject({ method: 'POST', url: '/v1/events', headers: s.headers, payload: s.payload });
      expect((await send()).statusCode).toBe(202);
      nowMs += 299_000;
      const replay = await send();
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toEqual({
        error: 'replayed_request',
        message:
          'this X-LayerSync-Request-Id was already used; generate a fresh request id (and signature) for every request, including retries',
      });
      // A different body with the same request id is a replay too.
      const other = signed({ events: [event()] }, { timestamp: NOW_S, requestId: '0192f5c4-0000-7000-8000-000000000001' });
      const res = await app.inject({ method: 'POST', url: '/v1/events', headers: other.headers, payload: other.payload });
      expect(res.statusCode).toBe(409);
      // Once the window has passed, the timestamp check rejects the old request.
      nowMs = (NOW_S + 302) * 1000;
      expect((await send()).json().error).toBe('stale_timestamp');
      expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
    });

    it('409 for a copy arriving as late as its timestamp allows: signed 300 s ahead, replayed 600 s after it first arrived', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S + 300 });
      const send = () => app.inject({ method: 'POST', url: '/v1/events', headers: s.headers, payload: s.payload });
      expect((await send()).statusCode).toBe(202);
      nowMs += 600_000; // the signed timestamp is now 300 s in the past: still within tolerance
      expect((await send()).statusCode).toBe(409);
      nowMs += 1_000;
      expect((await send()).json().error).toBe('stale_timestamp');
      expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
    });

    it('detects concurrent replays of one request (only one is accepted)', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/v1/events', headers: s.headers, payload: s.payload })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([202, 409, 409, 409, 409]);
    });
  });

  describe('body', () => {
    it('413 body_too_large over the configured limit', async () => {
      await app.close();
      await build({ bodyLimitBytes: 2048 });
      const events = Array.from({ length: 20 }, () => event());
      const res = await postEvents(app, { events }, { timestamp: NOW_S });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({
        error: 'body_too_large',
        message: 'the body is larger than 2048 bytes; send fewer events per request (at most 500, and split large batches)',
      });
    });

    it('400 invalid_json for a body that is not JSON (after the signature is checked)', async () => {
      const res = await postEvents(app, '{"events": [', { timestamp: NOW_S });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_json');
      expect(res.json().message).toMatch(/^the body is not valid JSON \(.+\); send \{"events":\[\.\.\.\]\}$/);
      const empty = await postEvents(app, '', { timestamp: NOW_S });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error).toBe('invalid_json');
    });

    it('415 for a content type other than JSON, or none', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...s.headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: s.payload,
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({
        error: 'unsupported_media_type',
        message: 'send the events as JSON with Content-Type: application/json',
      });
      const headers = { ...s.headers };
      delete headers['content-type'];
      const none = await app.inject({ method: 'POST', url: '/v1/events', headers });
      expect(none.statusCode).toBe(415);
      expect(none.json().error).toBe('unsupported_media_type');
    });

    it('accepts application/json with a charset', async () => {
      const s = signed({ events: [event()] }, { timestamp: NOW_S });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...s.headers, 'content-type': 'application/json; charset=utf-8' },
        payload: s.payload,
      });
      expect(res.statusCode).toBe(202);
    });

    it('400 invalid_body for a wrong envelope', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{}, /^events: .*expected array.*; the body must be \{"events":\[ \.\.\. \]\}$/],
        [[], /expected object/],
        [{ events: [] }, /^events: events must contain at least one event/],
        [{ events: Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ({})) }, /^events: .*500/],
        [{ events: [event()], extra: 1 }, /Unrecognized key.*extra/],
      ];
      for (const [body, message] of cases) {
        const res = await postEvents(app, body, { timestamp: NOW_S });
        expect(res.statusCode, JSON.stringify(body).slice(0, 40)).toBe(400);
        expect(res.json().error).toBe('invalid_body');
        expect(res.json().message).toMatch(message);
      }
    });
  });

  it('503 store_unavailable when the store cannot commit, so the sender retries', async () => {
    await app.close();
    const failing: Store = Object.create(store) as Store;
    failing.ingest = () => Promise.reject(new StoreUnavailableError('disk full'));
    await build({ store: failing });
    const res = await postEvents(app, { events: [event()] }, { timestamp: NOW_S });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({
      error: 'store_unavailable',
      message: 'the relay cannot store events right now; retry later with a fresh request id and signature',
    });
  });

  it('plans one delivery row per enabled destination: pending when mapped, skipped with a reason otherwise', async () => {
    await store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'dry_run', settings: { api_token: 'secret-token-1' } });
    const lead = event();
    const search = event({ event_name: 'search' });
    const res = await postEvents(app, { events: [lead, search] }, { timestamp: NOW_S });
    expect(res.statusCode).toBe(202);
    const stored = await store.listEvents({ limit: 10 });
    const byId = new Map(stored.map((e) => [e.eventId, e]));
    expect(byId.get(lead.event_id)!.deliveries).toMatchObject([{ destination: 'meta', status: 'pending', platformEventName: 'Lead' }]);
    expect(byId.get(search.event_id)!.deliveries).toMatchObject([
      {
        destination: 'meta',
        status: 'skipped',
        platformEventName: null,
        lastError: 'Test Platform has no mapping for "search"; the event is stored but not forwarded',
      },
    ]);
    // A duplicate creates no second delivery row.
    await postEvents(app, { events: [lead] }, { timestamp: NOW_S });
    expect((await store.listEvents({ limit: 10 })).find((e) => e.eventId === lead.event_id)!.deliveries).toHaveLength(1);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /v1/nope; see docs/CONTRACT.md' });
  });
});
