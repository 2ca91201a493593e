import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDestination, makeEvent, postEvents, SITE } from '../helpers.js';
import { adminFixture, seedEvents, settleAll, T0, type AdminFixture } from './support.js';

const T0S = Math.floor(T0 / 1000);

describe('admin API: events, deliveries and statistics', () => {
  let fx: AdminFixture;
  let destId: number;

  beforeEach(async () => {
    fx = await adminFixture(createTestDestination().registry);
    await fx.store.upsertSite({ siteId: 'other-site', secrets: ['o'.repeat(40)] }, T0);
    destId = (await fx.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-12345678' } }, T0)).id;
  });
  afterEach(() => fx.close());

  it('searches by event_id, order_id, name, time range and site, with cursor pagination', async () => {
    const purchase = makeEvent({ event_name: 'purchase', event_time: T0S - 3600, commerce: { order_id: 'WC-1001', value: 10, currency: 'EUR' } });
    const refund = makeEvent({ event_name: 'refund', event_time: T0S - 1800, commerce: { order_id: 'WC-1001', value: 10, currency: 'EUR' } });
    const leads = Array.from({ length: 5 }, (_, i) => makeEvent({ event_time: T0S - 86_400 * (i + 2) }));
    await seedEvents(fx.store, [purchase, refund, ...leads], { destinations: [destId] });
    await seedEvents(fx.store, [makeEvent({ event_id: purchase.event_id })], { siteId: 'other-site' });

    const all = await fx.call('GET', '/v1/admin/events?limit=500');
    expect(all.json().events).toHaveLength(8);
    expect(all.json().next_cursor).toBeUndefined();

    const byId = await fx.call('GET', `/v1/admin/events?event_id=${purchase.event_id}`);
    expect(byId.json().events.map((e: { site_id: string }) => e.site_id).sort()).toEqual(['other-site', SITE]);
    const byIdSite = await fx.call('GET', `/v1/admin/events?event_id=${purchase.event_id}&site=${SITE}`);
    expect(byIdSite.json().events).toHaveLength(1);
    expect(byIdSite.json().events[0]).toMatchObject({
      event_id: purchase.event_id,
      event_name: 'purchase',
      deliveries: [{ destination: 'meta', status: 'pending', platform_event_name: 'Lead' }],
      decisions: [{ action: 'accepted', event_id: purchase.event_id }],
    });

    const order = await fx.call('GET', '/v1/admin/events?order_id=WC-1001');
    expect(order.json().events.map((e: { event_name: string }) => e.event_name)).toEqual(['refund', 'purchase']);
    expect((await fx.call('GET', '/v1/admin/events?name=refund')).json().events).toHaveLength(1);

    const window = await fx.call('GET', `/v1/admin/events?since=${T0S - 4 * 86_400}&until=${new Date((T0S - 86_400) * 1000).toISOString()}`);
    expect(window.json().events).toHaveLength(3);
    fx.clock.now = T0;
    const recent = await fx.call('GET', `/v1/admin/events?since=2h&site=${SITE}`);
    expect(recent.json().events.map((e: { event_name: string }) => e.event_name)).toEqual(['refund', 'purchase']);

    // Pagination: newest first, 3 per page, no duplicates, no gaps.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await fx.call('GET', `/v1/admin/events?site=${SITE}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().events.map((e: { event_id: string }) => e.event_id));
      cursor = page.json().next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);

    const badCursor = await fx.call('GET', '/v1/admin/events?cursor=bm9wZQ');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().issues[0].path).toBe('cursor');
    const badTime = await fx.call('GET', '/v1/admin/events?since=yesterday-ish');
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().message).toMatch(/^since: must be ISO 8601/);
    const bad = await fx.call('GET', '/v1/admin/events?limit=0');
    expect(bad.json().message).toMatch(/^limit: .*; use \?limit=1-500&site=<site id>$/);
  });

  it('shows dedup decisions of an event received twice, and one event by its path', async () => {
    const event = makeEvent();
    fx.clock.now = Date.now();
    expect((await postEvents(fx.app, { events: [event] })).statusCode).toBe(202);
    expect((await postEvents(fx.app, { events: [{ ...event, source: 'browser' }] })).statusCode).toBe(202);
    const res = await fx.call('GET', `/v1/admin/events/${SITE}/${event.event_id}`);
    expect(res.statusCode).toBe(200);
    const actions = res.json().decisions.map((d: { action: string }) => d.action);
    expect(actions[0]).toBe('accepted');
    expect(actions.length).toBeGreaterThanOrEqual(2);
    expect((await fx.call('GET', `/v1/admin/events/${SITE}/missing-event`)).statusCode).toBe(404);
  });

  it('lists deliveries by status, destination and site', async () => {
    const dest2 = (await fx.store.upsertDestination({ siteId: 'other-site', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-12345678' } }, T0)).id;
    await seedEvents(fx.store, [makeEvent(), makeEvent(), makeEvent()], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed', { lastError: 'Invalid parameter: pixel', lastStatus: 400 });
    await seedEvents(fx.store, [makeEvent()], { destinations: [destId] });
    await seedEvents(fx.store, [makeEvent(), makeEvent()], { siteId: 'other-site', destinations: [dest2] });
    await settleAll(fx.store, dest2, 'delivered');

    const failed = await fx.call('GET', '/v1/admin/deliveries?status=failed');
    expect(failed.json().deliveries).toHaveLength(3);
    expect(failed.json().deliveries[0]).toMatchObject({ site_id: SITE, destination: 'meta', status: 'failed', last_status: 400, last_error: 'Invalid parameter: pixel', attempts: 1 });
    expect(failed.json().deliveries[0]).not.toHaveProperty('payload');
    expect((await fx.call('GET', '/v1/admin/deliveries?status=failed,pending')).json().deliveries).toHaveLength(4);
    expect((await fx.call('GET', `/v1/admin/deliveries?site=other-site`)).json().deliveries.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered']);
    expect((await fx.call('GET', `/v1/admin/deliveries?destination_id=${dest2}&status=failed`)).json().deliveries).toEqual([]);
    expect((await fx.call('GET', '/v1/admin/deliveries?destination=meta')).json().deliveries).toHaveLength(6);
    const page1 = await fx.call('GET', '/v1/admin/deliveries?limit=4');
    const page2 = await fx.call('GET', `/v1/admin/deliveries?limit=4&cursor=${page1.json().next_cursor}`);
    expect([...page1.json().deliveries, ...page2.json().deliveries].map((d: { id: number }) => d.id).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const bad = await fx.call('GET', '/v1/admin/deliveries?status=lost');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toMatch(/^status/);
  });

  it('computes per-destination statistics: counts, success rate, latency percentiles and chart buckets', async () => {
    await seedEvents(fx.store, Array.from({ length: 8 }, () => makeEvent()), { destinations: [destId] });
    // 8 delivered with latencies 10..80 ms in the first hour, 2 failed in the second hour.
    for (let i = 0; i < 8; i++) {
      const [c] = await fx.store.claimDeliveries(destId, { now: T0 + 1000, limit: 1, leaseMs: 60_000 });
      await fx.store.completeDeliveries(
        [{ id: c!.id, leaseToken: c!.leaseToken, status: 'delivered', attempts: 1, nextAttemptAt: null, lastStatus: 200, lastError: null, latencyMs: (i + 1) * 10 }],
        T0 + 60_000 * (i + 1),
      );
    }
    await seedEvents(fx.store, [makeEvent(), makeEvent()], { destinations: [destId], receivedAt: T0 + 3_600_000 });
    await settleAll(fx.store, destId, 'failed', { now: T0 + 3_700_000, latencyMs: 500 });
    await seedEvents(fx.store, [makeEvent()], { destinations: [destId], receivedAt: T0 + 3_600_000 });
    fx.clock.now = T0 + 2 * 3_600_000;

    const res = await fx.call('GET', `/v1/admin/destinations/${destId}/stats?since=${T0S}&bucket=1h`);
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({
      destination_id: destId,
      site_id: SITE,
      destination: 'meta',
      total: 11,
      counts: { delivered: 8, failed: 2, pending: 1, dead: 0, retry: 0, dry_run: 0, skipped: 0 },
      success_rate: 0.8,
      latency_ms: { p50: 50, p95: 500, samples: 10 },
      window: { since: new Date(T0).toISOString(), until: new Date(T0 + 7_200_000).toISOString(), bucket_seconds: 3600 },
    });
    expect(s.buckets.map((b: { counts: { delivered: number; failed: number } }) => [b.counts.delivered, b.counts.failed])).toEqual([
      [8, 0],
      [0, 2],
    ]);
    const all = await fx.call('GET', `/v1/admin/stats?since=${T0S}`);
    expect(all.json().destinations).toHaveLength(1);
    expect(all.json().destinations[0].buckets.length).toBeGreaterThan(2); // automatic bucket size
    const bad = await fx.call('GET', `/v1/admin/destinations/${destId}/stats?since=${T0S + 10_000}&until=${T0S}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('since');
  });
});
