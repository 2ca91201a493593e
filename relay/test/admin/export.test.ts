import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { EVENT_CSV_COLUMNS, exportStream, neutralizeCell } from '../../src/export/stream.js';
import type { Store } from '../../src/store/types.js';
import { createTestDestination, EMAIL_HASH, makeEvent, SITE } from '../helpers.js';
import { ADMIN_TOKEN, adminFixture, seedEvents, settleAll, T0, type AdminFixture } from './support.js';

describe('CSV formula neutralization', () => {
  it('prefixes cells a spreadsheet would run', () => {
    for (const v of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://evil")']) expect(neutralizeCell(v)).toBe(`'${v}`);
    for (const v of ['plain', '1=1', 'a-b', '', "'already"]) expect(neutralizeCell(v)).toBe(v);
  });
});

describe('admin API: export', () => {
  let fx: AdminFixture;
  let destId: number;

  beforeEach(async () => {
    fx = await adminFixture(createTestDestination().registry);
    destId = (await fx.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'platform-token-abcdef' } }, T0)).id;
  });
  afterEach(() => fx.close());

  it('exports deliveries as CSV with dangerous cells neutralized', async () => {
    await seedEvents(
      fx.store,
      [
        makeEvent({ event_name: 'purchase', commerce: { order_id: '=HYPERLINK("http://evil.example","x")', value: -5, currency: 'EUR' } }),
        makeEvent({ event_name: 'purchase', commerce: { order_id: '@cmd', value: 12.5, currency: 'EUR' } }),
      ],
      { destinations: [destId] },
    );
    await settleAll(fx.store, destId, 'failed', { lastError: '+49 rejected: -bad value' });

    const res = await fx.call('GET', '/v1/admin/export/deliveries?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="layersync-deliveries-\d{4}-\d\d-\d\d\.csv"$/);
    const rows = parse(res.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ site_id: SITE, destination: 'meta', status: 'failed', last_status: '400', last_error: "'+49 rejected: -bad value" });

    const events = await fx.call('GET', '/v1/admin/export/events?format=csv');
    const erows = parse(events.body, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(erows[0]!)).toEqual([...EVENT_CSV_COLUMNS]);
    expect(erows.map((r) => r.order_id)).toEqual([`'=HYPERLINK("http://evil.example","x")`, "'@cmd"]);
    // Numbers stay numbers (a negative value is not a formula).
    expect(erows[0]!.value).toBe('-5');
    expect(erows[0]!.em_sha256).toBe(EMAIL_HASH);
    expect(erows[0]!.deliveries).toBe('meta:failed');
    // No text cell starts with a formula character (numbers such as -5 are numbers).
    for (const r of [...rows, ...erows]) {
      for (const [k, v] of Object.entries(r)) if (!/^-?\d+(\.\d+)?$/.test(v)) expect(v, k).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('exports events as NDJSON: hashed identifiers only, no payloads, IPs, user agents or secrets', async () => {
    await seedEvents(
      fx.store,
      [
        makeEvent({
          identity: { em: EMAIL_HASH, fbp: 'fb.1.1700000000000.123', gclid: 'gclid-raw-value' },
          context: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0 TestAgent', url: 'https://shop.example/?email=person@example.com' },
          properties: { note: 'free text' },
        }),
      ],
      { destinations: [destId] },
    );
    await settleAll(fx.store, destId, 'delivered');
    const res = await fx.call('GET', '/v1/admin/export/events?format=ndjson');
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ site_id: SITE, identity: { em: EMAIL_HASH }, deliveries: [{ destination: 'meta', status: 'delivered' }] });
    for (const banned of ['203.0.113.7', 'TestAgent', 'person@example.com', 'gclid-raw-value', 'fb.1.', 'platform-token-abcdef', 'free text', '"payload"']) {
      expect(res.body).not.toContain(banned);
    }
    const deliveries = await fx.call('GET', '/v1/admin/export/deliveries');
    expect(JSON.parse(deliveries.body.trim())).toMatchObject({ destination: 'meta', status: 'delivered', event_id: expect.any(String) });
    expect(deliveries.body).not.toContain('payload');
  });

  it('filters by site, time and status, and validates the query', async () => {
    await fx.store.upsertSite({ siteId: 'other', secrets: ['o'.repeat(40)] }, T0);
    await seedEvents(fx.store, [makeEvent({ event_time: 1_700_000_000 }), makeEvent({ event_time: 1_760_000_000 })]);
    await seedEvents(fx.store, [makeEvent()], { siteId: 'other' });
    const lines = async (url: string) => (await fx.call('GET', url)).body.split('\n').filter((l) => l !== '').length;
    expect(await lines('/v1/admin/export/events')).toBe(3);
    expect(await lines(`/v1/admin/export/events?site=${SITE}`)).toBe(2);
    expect(await lines(`/v1/admin/export/events?site=${SITE}&since=1750000000`)).toBe(1);
    expect(await lines('/v1/admin/export/events?format=csv&until=2023-12-01')).toBe(2); // header + 1
    const bad = await fx.call('GET', '/v1/admin/export/everything?format=xml');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_params');
    expect((await fx.call('GET', '/v1/admin/export/events?format=xml')).json().issues[0].path).toBe('format');
  });

  it('streams over HTTP: chunked, no Content-Length, pages read as the client reads', async () => {
    const many = Array.from({ length: 1200 }, () => makeEvent());
    for (let i = 0; i < many.length; i += 400) await seedEvents(fx.store, many.slice(i, i + 400), { destinations: [destId] });
    const url = await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/v1/admin/export/events?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const text = await res.text();
    const ids = text.trim().split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    expect(ids).toHaveLength(1200);
    expect(new Set(ids).size).toBe(1200);
  });

  it('reads the store one page at a time, as the consumer pulls (not buffered)', async () => {
    await seedEvents(fx.store, Array.from({ length: 500 }, () => makeEvent()));
    let pages = 0;
    const counting = new Proxy(fx.store as Store, {
      get(target, prop, receiver) {
        if (prop === 'searchEvents') return (q: Parameters<Store['searchEvents']>[0]) => (pages++, target.searchEvents(q));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const stream = exportStream(counting, 'events', 'ndjson', {}, { pageSize: 50 });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    const firstLines = String(first.value).split('\n').length - 1;
    // One chunk read: only the first pages were fetched (stream buffers are bounded), not all ten.
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThan(10);
    let rest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) rest += String(r.value).split('\n').length - 1;
    expect(firstLines + rest).toBe(500);
    expect(pages).toBe(11); // ten full pages and the empty one that ends it
  });
});
