/**
 * The Store contract: every implementation (SQLite now, PostgreSQL later) must pass these.
 * Call `describeStoreContract` with a factory that returns a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent } from '../../src/contract/event.js';
import { StoreUnavailableError, type DeliveryPlan, type IngestBatch, type Store } from '../../src/store/types.js';
import { makeEvent } from '../helpers.js';

export interface StoreFixture {
  store: Store;
  cleanup?: () => Promise<void> | void;
}

const T0 = 1_764_000_000_000;

export function describeStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    let seq = 0;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
      await store.upsertSite({ siteId: 's1', secrets: ['secret-one-000000000000000000000000'] }, T0);
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await fx.cleanup?.();
    });

    const ev = (o: Parameters<typeof makeEvent>[0] = {}): CanonicalEvent =>
      canonicalEventSchema.parse(makeEvent({ event_time: Math.floor(T0 / 1000), ...o }));
    const batch = (events: CanonicalEvent[], o: Partial<IngestBatch> & { plans?: DeliveryPlan[] } = {}): IngestBatch => ({
      siteId: 's1',
      requestId: `req-${++seq}-00000000`,
      requestIdExpiresAt: T0 + 300_000,
      receivedAt: T0,
      events: events.map((event) => ({ event, deliveries: o.plans ?? [] })),
      ...o,
    });
    const destination = (siteId = 's1', mode: 'live' | 'dry_run' = 'live') =>
      store.upsertDestination({ siteId, slug: 'meta', enabled: true, mode, settings: { api_token: 'tok-123456' } }, T0);
    const pending = (destinationId: number): DeliveryPlan => ({ destinationId, status: 'pending', platformEventName: 'Lead' });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('creates, reads and rotates site secrets; lists sites without secrets', async () => {
      expect(await store.upsertSite({ siteId: 's2', secrets: ['x'.repeat(32)] }, T0)).toEqual({ created: true });
      expect(await store.upsertSite({ siteId: 's2', secrets: ['y'.repeat(32), 'x'.repeat(32)] }, T0 + 1)).toEqual({ created: false });
      expect(await store.getSite('s2')).toEqual({ siteId: 's2', secrets: ['y'.repeat(32), 'x'.repeat(32)], createdAt: T0, updatedAt: T0 + 1 });
      expect(await store.getSite('missing')).toBeUndefined();
      const list = await store.listSites();
      expect(list).toEqual([
        { siteId: 's1', createdAt: T0 },
        { siteId: 's2', createdAt: T0 },
      ]);
      await expect(store.upsertSite({ siteId: 's3', secrets: [] })).rejects.toThrow(/one or two/);
      await expect(store.upsertSite({ siteId: 's3', secrets: ['a', 'b', 'c'] })).rejects.toThrow(/one or two/);
    });

    it('upserts destinations per (site, slug); a change clears the parked state', async () => {
      const d = await destination('s1', 'dry_run');
      expect(d).toMatchObject({ siteId: 's1', slug: 'meta', enabled: true, mode: 'dry_run', settings: { api_token: 'tok-123456' }, parkedAt: null });
      await store.parkDestination(d.id, 'token expired', T0 + 5);
      expect(await store.getDestination(d.id)).toMatchObject({ parkedAt: T0 + 5, parkedReason: 'token expired' });
      const again = await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'new-token-1' } }, T0 + 9);
      expect(again).toMatchObject({ id: d.id, mode: 'live', settings: { api_token: 'new-token-1' }, parkedAt: null, parkedReason: null, updatedAt: T0 + 9 });
      await store.upsertSite({ siteId: 's2', secrets: ['z'.repeat(32)] });
      await store.upsertDestination({ siteId: 's2', slug: 'meta', enabled: false, mode: 'live', settings: {} });
      expect((await store.listDestinations()).map((x) => x.siteId)).toEqual(['s1', 's2']);
      expect((await store.listDestinations({ siteId: 's2' })).length).toBe(1);
      expect(await store.listDestinations({ siteId: 's2', enabledOnly: true })).toEqual([]);
    });

    it('ingests events once per (site, event_id) and reports duplicates in order', async () => {
      const a = ev();
      const b = ev();
      expect(await store.ingest(batch([a, b, a]))).toMatchObject({ replayed: false, results: ['accepted', 'accepted', 'duplicate'] });
      expect(await store.ingest(batch([b]))).toMatchObject({ replayed: false, results: ['duplicate'] });
      const events = await store.listEvents({ limit: 10 });
      expect(events.map((e) => e.eventId)).toEqual([b.event_id, a.event_id]);
      expect(events[1]).toMatchObject({ siteId: 's1', eventName: 'lead', eventTime: a.event_time, source: 'server', receivedAt: T0 });
      expect(events[1]!.event).toEqual(a);
    });

    it('remembers request ids: a replay writes nothing; an expired id may be reused', async () => {
      const first = batch([ev()], { requestId: 'same-request-id' });
      expect((await store.ingest(first)).replayed).toBe(false);
      expect(await store.isRequestIdSeen('s1', 'same-request-id', T0 + 1000)).toBe(true);
      expect(await store.isRequestIdSeen('s1', 'same-request-id', T0 + 300_001)).toBe(false);
      expect(await store.isRequestIdSeen('other', 'same-request-id', T0)).toBe(false);
      const replay = batch([ev()], { requestId: 'same-request-id', receivedAt: T0 + 1000 });
      expect(await store.ingest(replay)).toEqual({ replayed: true });
      expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
      // After its window the id is free again (the timestamp check guards old requests).
      const later = batch([ev()], { requestId: 'same-request-id', receivedAt: T0 + 400_000, requestIdExpiresAt: T0 + 700_000 });
      expect((await store.ingest(later)).replayed).toBe(false);
      // One row: the reuse updated it in place.
      expect(await store.pruneRequestIds(T0 + 700_001)).toBe(1);
    });

    it('prunes only expired request ids', async () => {
      await store.ingest(batch([ev()], { requestId: 'old-request', requestIdExpiresAt: T0 + 10 }));
      await store.ingest(batch([ev()], { requestId: 'new-request', requestIdExpiresAt: T0 + 1_000_000 }));
      expect(await store.pruneRequestIds(T0 + 11)).toBe(1);
      expect(await store.isRequestIdSeen('s1', 'new-request', T0 + 11)).toBe(true);
    });

    it('commits concurrent ingests and resolves each with its own results', async () => {
      const events = Array.from({ length: 30 }, () => ev());
      const results = await Promise.all(events.map((e) => store.ingest(batch([e]))));
      expect(results.every((r) => !r.replayed && r.results[0] === 'accepted')).toBe(true);
      expect(await store.listEvents({ limit: 100 })).toHaveLength(30);
    });

    it('creates delivery rows only for new events, skipped rows with their reason', async () => {
      const d = await destination();
      const e = ev();
      await store.ingest(
        batch([e], { plans: [pending(d.id)] }),
      );
      await store.ingest(batch([e], { plans: [pending(d.id)] }));
      const skipped = ev({ event_name: 'search' });
      await store.ingest(batch([skipped], { plans: [{ destinationId: d.id, status: 'skipped', platformEventName: null, reason: 'no mapping' }] }));
      const [s, l] = await store.listEvents({ limit: 10 });
      expect(l!.deliveries).toMatchObject([{ destination: 'meta', mode: 'live', status: 'pending', attempts: 0, platformEventName: 'Lead', nextAttemptAt: T0, payload: null }]);
      expect(s!.deliveries).toMatchObject([{ status: 'skipped', lastError: 'no mapping', nextAttemptAt: null }]);
    });

    describe('delivery claims', () => {
      it('claims due rows of one destination once, oldest first, up to the limit', async () => {
        const d = await destination();
        const events = [ev(), ev(), ev()];
        for (const e of events) await store.ingest(batch([e], { plans: [pending(d.id)] }));
        expect(await store.dueDestinationIds(T0)).toEqual([d.id]);
        expect(await store.dueDestinationIds(T0 - 1)).toEqual([]);

        const first = await store.claimDeliveries(d.id, { now: T0, limit: 2, leaseMs: 60_000 });
        expect(first.map((c) => c.event.event_id)).toEqual([events[0]!.event_id, events[1]!.event_id]);
        expect(first[0]).toMatchObject({ status: 'pending', attempts: 0, platformEventName: 'Lead' });
        expect(first[0]!.event).toEqual(events[0]);
        const second = await store.claimDeliveries(d.id, { now: T0, limit: 10, leaseMs: 60_000 });
        expect(second.map((c) => c.event.event_id)).toEqual([events[2]!.event_id]);
        expect(await store.claimDeliveries(d.id, { now: T0, limit: 10, leaseMs: 60_000 })).toEqual([]);
        expect(await store.dueDestinationIds(T0)).toEqual([]);
      });

      it('concurrent claims never hand the same row to two workers', async () => {
        const d = await destination();
        for (let i = 0; i < 20; i++) await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimDeliveries(d.id, { now: T0, limit: 5, leaseMs: 60_000 })));
        const ids = claims.flat().map((c) => c.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      it('an expired lease can be reclaimed; the old holder can no longer complete', async () => {
        const d = await destination();
        await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        const [old] = await store.claimDeliveries(d.id, { now: T0, limit: 1, leaseMs: 1000 });
        expect(await store.claimDeliveries(d.id, { now: T0 + 999, limit: 1, leaseMs: 1000 })).toEqual([]);
        const [fresh] = await store.claimDeliveries(d.id, { now: T0 + 1000, limit: 1, leaseMs: 1000 });
        expect(fresh!.id).toBe(old!.id);
        expect(fresh!.leaseToken).not.toBe(old!.leaseToken);
        const update = { status: 'delivered' as const, attempts: 1, nextAttemptAt: null, lastStatus: 200, lastError: null, payload: { a: 1 }, latencyMs: 12 };
        expect(await store.completeDeliveries([{ id: old!.id, leaseToken: old!.leaseToken, ...update }], T0 + 1001)).toBe(0);
        expect(await store.completeDeliveries([{ id: fresh!.id, leaseToken: fresh!.leaseToken, ...update }], T0 + 1002)).toBe(1);
        const [e] = await store.listEvents({ limit: 1 });
        expect(e!.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, payload: { a: 1 }, latencyMs: 12, updatedAt: T0 + 1002 });
      });

      it('records retries with their due time; keeps the payload when none is given', async () => {
        const d = await destination();
        await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        const [c] = await store.claimDeliveries(d.id, { now: T0, limit: 1, leaseMs: 1000 });
        await store.completeDeliveries(
          [{ id: c!.id, leaseToken: c!.leaseToken, status: 'retry', attempts: 1, nextAttemptAt: T0 + 5000, lastStatus: 503, lastError: 'busy', payload: { p: 1 }, latencyMs: 5 }],
          T0,
        );
        expect(await store.dueDestinationIds(T0 + 4999)).toEqual([]);
        expect(await store.dueDestinationIds(T0 + 5000)).toEqual([d.id]);
        const [again] = await store.claimDeliveries(d.id, { now: T0 + 5000, limit: 1, leaseMs: 1000 });
        expect(again).toMatchObject({ id: c!.id, status: 'retry', attempts: 1 });
        await store.completeDeliveries(
          [{ id: again!.id, leaseToken: again!.leaseToken, status: 'failed', attempts: 2, nextAttemptAt: null, lastStatus: 400, lastError: 'bad', latencyMs: 3 }],
          T0 + 5001,
        );
        const [e] = await store.listEvents({ limit: 1 });
        expect(e!.deliveries[0]).toMatchObject({ status: 'failed', attempts: 2, payload: { p: 1 }, lastError: 'bad', nextAttemptAt: null });
      });

      it('released rows are due again at once', async () => {
        const d = await destination();
        await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        const claimed = await store.claimDeliveries(d.id, { now: T0, limit: 1, leaseMs: 60_000 });
        await store.releaseDeliveries(claimed);
        expect((await store.claimDeliveries(d.id, { now: T0, limit: 1, leaseMs: 60_000 })).map((c) => c.id)).toEqual(claimed.map((c) => c.id));
      });

      it('parked and disabled destinations have no due work', async () => {
        const d = await destination();
        await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        await store.parkDestination(d.id, 'auth', T0);
        expect(await store.dueDestinationIds(T0)).toEqual([]);
        await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: false, mode: 'live', settings: {} });
        expect(await store.dueDestinationIds(T0)).toEqual([]);
        await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: {} });
        expect(await store.dueDestinationIds(T0)).toEqual([d.id]);
      });
    });

    it('lists recent events newest first, follows after a cursor oldest first, filters by site', async () => {
      await store.upsertSite({ siteId: 's2', secrets: ['q'.repeat(32)] });
      const a = ev();
      const b = ev();
      const c = ev();
      await store.ingest(batch([a]));
      await store.ingest(batch([b], { siteId: 's2' }));
      await store.ingest(batch([c]));
      const recent = await store.listEvents({ limit: 2 });
      expect(recent.map((e) => e.eventId)).toEqual([c.event_id, b.event_id]);
      const after = await store.listEvents({ limit: 10, afterId: recent[1]!.id - 1 });
      expect(after.map((e) => e.eventId)).toEqual([b.event_id, c.event_id]);
      expect((await store.listEvents({ limit: 10, siteId: 's2' })).map((e) => e.eventId)).toEqual([b.event_id]);
      expect(await store.listEvents({ limit: 10, afterId: recent[0]!.id })).toEqual([]);
    });

    describe('pipeline: dedup, merge, decisions, policies, event maps', () => {
      const half = (source: 'browser' | 'server', o: Parameters<typeof makeEvent>[0] = {}) =>
        ev({ event_id: 'pair-0001', event_name: 'add_to_cart', source, identity: {}, ...o });

      it('holds new deliveries for the merge window and merges a second half into the stored event', async () => {
        const d = await destination();
        const plans = [pending(d.id)];
        expect(await store.ingest(batch([half('browser', { identity: { fbp: 'fb.1.1.1' } })], { plans, mergeWindowMs: 5000 }))).toMatchObject({
          replayed: false,
          results: ['accepted'],
        });
        expect(await store.dueDestinationIds(T0 + 4999)).toEqual([]);
        const second = await store.ingest(
          batch([half('server', { identity: { em: 'e'.repeat(64) } })], { plans, mergeWindowMs: 5000, receivedAt: T0 + 3200 }),
        );
        expect(second).toMatchObject({ replayed: false, results: ['merged'], details: [{ keptEventId: 'pair-0001' }] });
        if (!second.replayed) expect(second.details?.[0]?.reason).toMatch(/^duplicate event_id from server 3\.2 s after browser: merged identifiers em/);
        const [e] = await store.listEvents({ limit: 5 });
        expect(e!.event.identity).toEqual({ fbp: 'fb.1.1.1', em: 'e'.repeat(64) });
        expect(e!.deliveries).toMatchObject([{ status: 'pending', nextAttemptAt: T0 + 5000 }]);
        const [c] = await store.claimDeliveries(d.id, { now: T0 + 5000, limit: 5, leaseMs: 1000 });
        expect(c!.event.identity).toEqual({ fbp: 'fb.1.1.1', em: 'e'.repeat(64) });
        // Late copy: duplicate, the event stays as it was.
        const late = await store.ingest(batch([half('server', { source: 'sdk', identity: { ph: '1'.repeat(64) } })], { mergeWindowMs: 5000, receivedAt: T0 + 9000 }));
        expect(late).toMatchObject({ results: ['duplicate'] });
        expect((await store.listEvents({ limit: 1 }))[0]!.event.identity.ph).toBeUndefined();
        expect((await store.listDecisions({ siteId: 's1', eventId: 'pair-0001' })).map((x) => [x.source, x.action])).toEqual([
          ['browser', 'accepted'],
          ['server', 'merged'],
          ['sdk', 'duplicate'],
        ]);
      });

      it('deduplicates purchases by order_id within the window and records the decision', async () => {
        const p = (id: string) => ev({ event_id: id, event_name: 'purchase', commerce: { order_id: 'o-1', value: 3, currency: 'EUR' } });
        expect(await store.ingest(batch([p('buy-1'), p('buy-2')], { dedupWindowMs: 604_800_000 }))).toMatchObject({
          results: ['accepted', 'duplicate'],
          details: [{}, { keptEventId: 'buy-1', reason: 'duplicate order_id o-1 purchase: kept event buy-1, dropped buy-2' }],
        });
        expect((await store.listDecisions({ siteId: 's1', orderId: 'o-1' })).map((x) => [x.eventId, x.action])).toEqual([
          ['buy-1', 'accepted'],
          ['buy-2', 'duplicate'],
        ]);
        expect((await store.listDecisions({ siteId: 's1' })).map((x) => x.action)).toEqual(['duplicate', 'accepted']);
        // Outside the window the order counts again.
        const later = batch([p('buy-3')], { receivedAt: T0 + 604_800_001, dedupWindowMs: 604_800_000 });
        expect(await store.ingest(later)).toMatchObject({ results: ['accepted'] });
        // Only keys recorded before the cutoff are forgotten (buy-3's replaced buy-1's).
        expect(await store.pruneDedupKeys(T0 + 604_800_001)).toBe(0);
        expect(await store.pruneDedupKeys(T0 + 604_800_002)).toBe(1);
      });

      it('retention: deletes old events with their deliveries, decisions and order keys, oldest first, in slices; keeps what is still due', async () => {
        const d = await destination();
        const day = 86_400_000;
        const done = { status: 'delivered' as const, attempts: 1, nextAttemptAt: null, lastStatus: 200, lastError: null, payload: { ok: 1 }, latencyMs: 5 };
        // Three old events delivered, one old purchase (order key + a duplicate decision), one old still due, two recent.
        const old = [ev(), ev(), ev()];
        for (const e of old) await store.ingest(batch([e], { plans: [pending(d.id)] }));
        const claimed = await store.claimDeliveries(d.id, { now: T0, limit: 10, leaseMs: 60_000 });
        expect(await store.completeDeliveries(claimed.map((c) => ({ id: c.id, leaseToken: c.leaseToken, ...done })), T0)).toBe(3);
        const buy = ev({ event_name: 'purchase', commerce: { order_id: 'o-77', value: 10, currency: 'EUR' } });
        await store.ingest(batch([buy]));
        await store.ingest(batch([ev({ event_name: 'purchase', commerce: { order_id: 'o-77', value: 10, currency: 'EUR' } })], { receivedAt: T0 + 1 }));
        const due = ev();
        await store.ingest(batch([due], { plans: [pending(d.id)], receivedAt: T0 + 2 }));
        const recent = [ev(), ev()];
        for (const e of recent) await store.ingest(batch([e], { receivedAt: T0 + 30 * day }));

        const cutoff = T0 + 10 * day;
        expect(await store.pruneEvents(cutoff, 2)).toEqual({ events: 2, deliveries: 2, more: true });
        expect(await store.pruneEvents(cutoff, 2)).toEqual({ events: 2, deliveries: 1, more: false });
        expect(await store.pruneEvents(cutoff, 2)).toEqual({ events: 0, deliveries: 0, more: false });
        const left = (await store.listEvents({ limit: 10 })).map((e) => e.eventId).sort();
        expect(left).toEqual([due.event_id, ...recent.map((e) => e.event_id)].sort());
        expect(await store.listDecisions({ siteId: 's1', orderId: 'o-77' })).toEqual([]);
        // The order key went with its purchase: the same order is new again, not a duplicate.
        const again = ev({ event_name: 'purchase', commerce: { order_id: 'o-77', value: 10, currency: 'EUR' } });
        expect(await store.ingest(batch([again], { receivedAt: T0 + 30 * day }))).toMatchObject({ results: ['accepted'] });
        // The event still due is kept until its delivery is made, then goes.
        const [c] = await store.claimDeliveries(d.id, { now: T0 + 30 * day, limit: 1, leaseMs: 60_000 });
        await store.completeDeliveries([{ id: c!.id, leaseToken: c!.leaseToken, ...done }], T0 + 30 * day);
        expect(await store.pruneEvents(cutoff, 100)).toEqual({ events: 1, deliveries: 1, more: false });
      });

      it('stores site policies (defaults until set) and event map overrides; records a renamed platform event', async () => {
        expect(await store.getSitePolicy('s1')).toEqual({ default_denied: false, ldu: { enabled: false }, do_not_sell_mode: 'limited', purposes: {} });
        const policy = { default_denied: true, ldu: { enabled: true, country: 'US', state: 'CA' }, do_not_sell_mode: 'drop' as const, purposes: { webhook: ['analytics_storage' as const] } };
        await store.setSitePolicy('s1', policy, T0);
        expect(await store.getSitePolicy('s1')).toEqual(policy);

        const d = await destination();
        expect(d.eventMap).toBeNull();
        expect(await store.setEventMap(d.id, { page_view: null, 'custom:quote': 'Lead' }, T0)).toBe(true);
        expect((await store.listDestinations({ siteId: 's1' }))[0]!.eventMap).toEqual({ page_view: null, 'custom:quote': 'Lead' });
        // Upserting the destination's settings keeps its event map.
        expect((await destination()).eventMap).toEqual({ page_view: null, 'custom:quote': 'Lead' });

        await store.ingest(batch([ev()], { plans: [pending(d.id)] }));
        const [c] = await store.claimDeliveries(d.id, { now: T0, limit: 1, leaseMs: 1000 });
        await store.completeDeliveries(
          [{ id: c!.id, leaseToken: c!.leaseToken, status: 'skipped', attempts: 0, nextAttemptAt: null, lastStatus: null, lastError: 'consent: ad_storage denied', latencyMs: null, platformEventName: null }],
          T0,
        );
        expect((await store.listEvents({ limit: 1 }))[0]!.deliveries[0]).toMatchObject({ status: 'skipped', platformEventName: null, lastError: 'consent: ad_storage denied' });
      });
    });

    it('commits ingests queued before close; refuses work after close', async () => {
      const pendingIngest = store.ingest(batch([ev()]));
      await store.close();
      expect(await pendingIngest).toMatchObject({ replayed: false, results: ['accepted'] });
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ingest(batch([ev()]))).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}
