/**
 * The Meta destination end to end against the local fake Graph API, with the real undici client
 * on 127.0.0.1 — the network to Meta is never used.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { META_GRAPH_API_VERSION } from '../src/destinations/meta/api.js';
import { createMetaDestination, meta } from '../src/destinations/meta/index.js';
import type { MetaServerEvent } from '../src/destinations/meta/map.js';
import type { MetaSettings } from '../src/destinations/meta/settings.js';
import type { DeliveryOutcome, SendContext } from '../src/destinations/types.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN, startFakeMeta, type FakeMeta } from './fakes/meta-server.js';
import {
  SETTINGS,
  everyFieldEvent,
  everyFieldExpected,
  requiredOnlyEvent,
  requiredOnlyExpected,
  wireEvent,
} from './fakes/meta-fixtures.js';
import { closedPort } from './destinations/support.js';

let fake: FakeMeta;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeMeta({ pixels: [FAKE_META_PIXEL_ID] });
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<MetaSettings> = {}, extra: Partial<SendContext<MetaSettings>> = {}): SendContext<MetaSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

function mapped(event: ReturnType<typeof requiredOnlyEvent>, platformEventName: string): MetaServerEvent {
  const result = meta.map(event, { settings: SETTINGS, platformEventName, now: now() });
  if (!result.ok) throw new Error(result.reason);
  return result.payload as MetaServerEvent;
}

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('meta.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this body and these headers', async () => {
    const t = now();
    const outcomes = await meta.send([mapped(requiredOnlyEvent(t), 'Lead')], sendCtx());

    const o = only(outcomes);
    expect(o.kind).toBe('delivered');
    expect(o).toMatchObject({ status: 200 });
    expect(JSON.parse((o as { response: string }).response)).toMatchObject({ events_received: 1 });

    expect(fake.received).toHaveLength(1);
    const req = fake.received[0]!;
    expect(req.path).toBe(`/${META_GRAPH_API_VERSION}/${FAKE_META_PIXEL_ID}/events`);
    expect(req.pixelId).toBe(FAKE_META_PIXEL_ID);
    // The token travels only in the Authorization header, never in the URL.
    expect(req.query).toStrictEqual({});
    expect(req.body).toStrictEqual({ data: [requiredOnlyExpected(t)] });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_META_TOKEN}`);
    expect(req.headers['user-agent']).toMatch(/^LayerSync-Relay\//);
  });

  it('sends an every-field event, with test_event_code, exactly', async () => {
    const t = now();
    const outcomes = await meta.send([mapped(everyFieldEvent(t), 'Purchase')], sendCtx({ test_event_code: 'TEST12345' }));
    expect(only(outcomes).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ data: [everyFieldExpected(t)], test_event_code: 'TEST12345' });
  });

  it('sends a batch in one request and gives every event its own outcome', async () => {
    const t = now();
    const payloads = [mapped(requiredOnlyEvent(t), 'Lead'), mapped(everyFieldEvent(t), 'Purchase')];
    const outcomes = await meta.send(payloads, sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'delivered']);
    expect(outcomes[0]).not.toBe(outcomes[1]);
    expect(fake.received).toHaveLength(1);
    expect((fake.received[0]!.body as { data: unknown[] }).data).toHaveLength(2);
  });

  it('never sends more than 1,000 events in one request', async () => {
    const t = now();
    const one = wireEvent(t);
    const payloads = Array.from({ length: 1001 }, (_, i) => ({ ...one, event_id: `evt-${i}` }));
    const outcomes = await meta.send(payloads, sendCtx());
    expect(outcomes).toHaveLength(1001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { data: unknown[] }).data.length)).toStrictEqual([1000, 1]);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await meta.send([], sendCtx())).toStrictEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('meta.send — classifying Meta\'s answers', () => {
  it('expired token (190/463) → auth, with a readable message and no token', async () => {
    fake.failNext(1, 'token');
    const o = only(await meta.send([wireEvent(now())], sendCtx()));
    expect(o.kind).toBe('auth');
    expect(o).toMatchObject({ status: 400 });
    expect(errorOf(o)).toMatch(/^Meta rejected the access token \(code 190, subcode 463\): the token has expired\. /);
    expect(errorOf(o)).toMatch(/reconnect Meta: generate a new Conversions API access token in Events Manager/);
    expect(errorOf(o)).not.toContain(FAKE_META_TOKEN);
  });

  it('unknown token (190) → auth, and the token does not leak', async () => {
    const token = 'EAAB-not-a-token-the-fake-knows-0001';
    const o = only(await meta.send([wireEvent(now())], sendCtx({ access_token: token })));
    expect(o.kind).toBe('auth');
    expect(errorOf(o)).toMatch(/^Meta rejected the access token \(code 190\): the token is invalid\. Invalid OAuth access token - Cannot parse access token\. \(fbtrace_id A[\w-]+\) — reconnect Meta/);
    expect(errorOf(o)).not.toContain(token);
  });

  it('unknown pixel (100/33) → auth, pointing at the Pixel ID', async () => {
    const o = only(await meta.send([wireEvent(now())], sendCtx({ pixel_id: '999999999999' })));
    expect(o.kind).toBe('auth');
    expect(errorOf(o)).toMatch(/^Meta cannot find pixel 999999999999, or this access token cannot use it \(code 100, subcode 33\)/);
  });

  it('invalid parameter (100, event too old 2804003) → drop for every event of the request', async () => {
    const t = now();
    const payloads = [wireEvent(t), wireEvent(t, { event_id: 'old', event_time: t - 8 * 86_400 }), wireEvent(t, { event_id: 'x' })];
    const outcomes = await meta.send(payloads, sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop', 'drop']);
    expect(outcomes[0]).toMatchObject({ status: 400 });
    expect(errorOf(outcomes[1]!)).toMatch(
      /^Meta rejected the event \(code 100, subcode 2804003\)\. Event Timestamp Too Old: The timestamp for this event is too far in the past\./,
    );
    expect(fake.received).toHaveLength(0);
  });

  it('HTTP 500 (code 1) → retry without a retry-after', async () => {
    fake.failNext(1, 500);
    const o = only(await meta.send([wireEvent(now())], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 500 });
    expect(o).not.toHaveProperty('retryAfterMs');
    expect(errorOf(o)).toMatch(/^Meta had a temporary problem \(code 1, subcode 99\)\. An unknown error occurred\. \(fbtrace_id \S+\) — LayerSync will retry\.$/);
  });

  it('HTTP 503 (code 2, is_transient) → retry', async () => {
    fake.failNext(1, 503);
    expect(only(await meta.send([wireEvent(now())], sendCtx()))).toMatchObject({ kind: 'retry', status: 503 });
  });

  it('HTTP 429 (code 17) with Retry-After → retry after that many seconds', async () => {
    fake.failNext(1, 429);
    const o = only(await meta.send([wireEvent(now())], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 7_000 });
    expect(errorOf(o)).toMatch(/^Meta is rate limiting requests \(code 17, subcode 2446079\)\. User request limit reached\. .* LayerSync will retry in 7 s\.$/);
  });

  it('no answer in time → retry, naming the timeout', async () => {
    fake.failNext(1, 'timeout');
    const quick = createMetaDestination({ timeoutMs: 300 });
    const started = Date.now();
    const o = only(await quick.send([wireEvent(now())], sendCtx()));
    expect(o).toStrictEqual({ kind: 'retry', error: 'Meta did not answer within 300 ms; LayerSync will retry.' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('nothing listening → retry', async () => {
    const port = await closedPort();
    const o = only(await meta.send([wireEvent(now())], sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` })));
    expect(o.kind).toBe('retry');
    expect(errorOf(o)).toMatch(/^Could not reach Meta \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });

  it('after an injected failure the next request goes through', async () => {
    fake.failNext(1, 500);
    const ctx = sendCtx();
    expect(only(await meta.send([wireEvent(now())], ctx)).kind).toBe('retry');
    expect(only(await meta.send([wireEvent(now())], ctx)).kind).toBe('delivered');
  });
});

describe('classification details (stub transport)', () => {
  function stub(res: Partial<HttpResponse>): HttpClient {
    return {
      request: async () => ({ status: 200, headers: {}, body: '', ...res }),
      close: async () => undefined,
    };
  }
  const send = (res: Partial<HttpResponse>, nowMs = Date.parse('2026-11-23T12:00:00Z')) =>
    meta.send([wireEvent(now())], { settings: SETTINGS, http: stub(res), nowMs }).then(only);

  it('a 2xx that is not Meta\'s answer is not a delivery', async () => {
    const o = await send({ status: 200, body: '<html>proxy</html>' });
    expect(o).toMatchObject({ kind: 'retry', status: 200 });
    expect(errorOf(o)).toMatch(/without confirming how many events it received \(<html>proxy<\/html>\)/);
  });

  it('Retry-After as an HTTP date', async () => {
    const o = await send({ status: 503, headers: { 'retry-after': 'Mon, 23 Nov 2026 12:01:30 GMT' }, body: 'busy' });
    expect(o).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 90_000 });
  });

  it('Meta throttling code 4 in the body with X-Business-Use-Case-Usage → retry after the estimate', async () => {
    const o = await send({
      status: 400,
      headers: {
        'x-business-use-case-usage': JSON.stringify({ '123': [{ type: 'ads_management', call_count: 100, estimated_time_to_regain_access: 3 }] }),
      },
      body: JSON.stringify({ error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, is_transient: true } }),
    });
    expect(o).toMatchObject({ kind: 'retry', status: 400, retryAfterMs: 180_000 });
  });

  it('is_transient:true on an otherwise unknown code → retry; unknown non-transient code → drop', async () => {
    const body = (is_transient: boolean) => JSON.stringify({ error: { message: 'Something', type: 'OAuthException', code: 9007, is_transient } });
    expect((await send({ status: 400, body: body(true) })).kind).toBe('retry');
    expect((await send({ status: 400, body: body(false) })).kind).toBe('drop');
  });

  it('permission errors (10, 200-299) → auth', async () => {
    for (const code of [10, 200, 294]) {
      const o = await send({ status: 403, body: JSON.stringify({ error: { message: `(#${code}) Permission denied`, type: 'OAuthException', code } }) });
      expect(o.kind).toBe('auth');
      expect(errorOf(o)).toMatch(new RegExp(`^Meta refused permission \\(code ${code}\\)`));
    }
  });

  it('a bare 401 without Meta\'s envelope → auth; a bare 404 → drop', async () => {
    expect((await send({ status: 401, body: 'Unauthorized' })).kind).toBe('auth');
    expect((await send({ status: 404, body: 'Not Found' })).kind).toBe('drop');
  });

  it('a bare Graph error without text still reads as a sentence', async () => {
    const o = await send({ status: 400, body: JSON.stringify({ error: { code: 190 } }) });
    expect(errorOf(o)).toMatch(/^Meta rejected the access token \(code 190\): the token is invalid\. — reconnect Meta: /);
  });

  it('scrubs the token if Meta or a proxy echoes it', async () => {
    const o = await send({
      status: 400,
      body: JSON.stringify({
        error: { message: `Invalid parameter for access_token=${FAKE_META_TOKEN}`, type: 'OAuthException', code: 100, fbtrace_id: 'T1' },
      }),
    });
    expect(o.kind).toBe('drop');
    expect(errorOf(o)).not.toContain(FAKE_META_TOKEN);
    expect(errorOf(o)).toContain('access_token=[redacted]');
  });

  it('the user-facing title and message win over the developer message (Meta localizes them)', async () => {
    const o = await send({
      status: 400,
      body: JSON.stringify({
        error: {
          message: 'Invalid parameter',
          type: 'OAuthException',
          code: 100,
          error_subcode: 2804050,
          is_transient: false,
          error_user_title: 'Du har ikke tilføjet tilstrækkelige data',
          error_user_msg: 'Denne hændelse har ingen kundeoplysningsparametre.',
          fbtrace_id: 'T2',
        },
      }),
    });
    expect(o).toStrictEqual({
      kind: 'drop',
      status: 400,
      error:
        'Meta rejected the event (code 100, subcode 2804050). Du har ikke tilføjet tilstrækkelige data: Denne hændelse har ingen kundeoplysningsparametre. (fbtrace_id T2)',
    });
  });
});

describe('meta.testConnection', () => {
  it('reads the pixel and says which one it reached', async () => {
    const d = await meta.testConnection!(sendCtx({ test_event_code: 'TEST777' }));
    expect(d).toStrictEqual({
      ok: true,
      code: 'ok',
      message: `Connected to Meta pixel "Fake pixel ${FAKE_META_PIXEL_ID}" (${FAKE_META_PIXEL_ID}). Test event code TEST777 is set: events appear under Events Manager → Test events (Meta still processes them).`,
    });
    expect(fake.requests[0]).toMatchObject({ path: `/${META_GRAPH_API_VERSION}/${FAKE_META_PIXEL_ID}`, query: { fields: 'id,name' } });
  });

  it('expired token → token_expired; unknown token → invalid_credentials', async () => {
    fake.failNext(1, 'token');
    expect(await meta.testConnection!(sendCtx())).toMatchObject({ ok: false, code: 'token_expired' });
    const d = await meta.testConnection!(sendCtx({ access_token: 'EAAB-unknown-token-000000000' }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(d.message).toMatch(/reconnect Meta/);
  });

  it('unknown pixel → not_found; nothing listening → unreachable', async () => {
    expect(await meta.testConnection!(sendCtx({ pixel_id: '999999999999' }))).toMatchObject({ ok: false, code: 'not_found' });
    const port = await closedPort();
    expect(await meta.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

/** A port nobody listens on (bound, then released). */
