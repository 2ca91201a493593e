/**
 * The OperatorStore contract (admin API, CLI, exports, metrics): every Store implementation must
 * pass these too. Call `describeOperatorStoreContract` with a factory for a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent } from '../../src/contract/event.js';
import type { Store } from '../../src/store/types.js';
import { EMAIL_HASH, makeEvent } from '../helpers.js';
import type { StoreFixture } from './contract.js';

const T0 = 1_764_000_000_000;
const T0S = T0 / 1000;

export function describeOperatorStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`OperatorStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    let destId: number;
    let seq = 0;

    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
      await store.upsertSite({ siteId: 's1', secrets: ['secret-one-000000000000000000000000'] }, T0);
      destId = (await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-123456' } }, T0)).id;
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await fx.cleanup?.();
    });

    const ingest = async (events: CanonicalEvent[], receivedAt = T0) => {
      await store.ingest({
        siteId: 's1',
        requestId: `op-${++seq}-00000000`,
        requestIdExpiresAt: receivedAt + 300_000,
        receivedAt,
        events: events.map((event) => ({ event, deliveries: [{ destinationId: destId, status: 'pending', platformEventName: 'Lead' }] })),
      });
      return events;
    };
    const ev = (o: Parameters<typeof makeEvent>[0] = {}) => canonicalEventSchema.parse(makeEvent({ event_time: T0S, ...o }));
    const settle = async (status: 'delivered' | 'failed', now = T0 + 1000, latencyMs = 50) => {
      const claimed = await store.claimDeliveries(destId, { now, limit: 1000, leaseMs: 60_000 });
      await store.completeDeliveries(
        claimed.map((c) => ({ id: c.id, leaseToken: c.leaseToken, status, attempts: 1, nextAttemptAt: null, lastStatus: 200, lastError: null, latencyMs })),
        now,
      );
    };

    it('updates a destination without un-parking it unless asked, and deletes it with its deliveries', async () => {
      await store.parkDestination(destId, 'refused', T0);
      expect(await store.updateDestination(destId, { mode: 'dry_run', enabled: false }, T0 + 1)).toMatchObject({ mode: 'dry_run', enabled: false, parkedAt: T0 });
      expect(await store.updateDestination(destId, { settings: { api_token: 'tok-new-123' }, unpark: true }, T0 + 2)).toMatchObject({
        settings: { api_token: 'tok-new-123' },
        parkedAt: null,
        parkedReason: null,
        updatedAt: T0 + 2,
      });
      expect(await store.updateDestination(999, { mode: 'live' })).toBeUndefined();
      await ingest([ev(), ev()]);
      expect(await store.deleteDestination(destId)).toEqual({ deliveries: 2 });
      expect(await store.getDestination(destId)).toBeUndefined();
      expect(await store.deleteDestination(destId)).toBeUndefined();
    });

    it('searches events by id, order, name and time; pages both ways', async () => {
      const [a, b, c] = await ingest([
        ev({ event_time: T0S - 100 }),
        ev({ event_name: 'purchase', commerce: { order_id: 'o-1', value: 1, currency: 'EUR' } }),
        ev({ event_time: T0S + 100 }),
      ]);
      expect((await store.searchEvents({ eventId: a!.event_id, limit: 10 })).map((e) => e.eventId)).toEqual([a!.event_id]);
      expect((await store.searchEvents({ orderId: 'o-1', limit: 10 })).map((e) => e.eventId)).toEqual([b!.event_id]);
      expect((await store.searchEvents({ eventName: 'purchase', limit: 10 }))[0]!.deliveries).toHaveLength(1);
      expect((await store.searchEvents({ since: T0S, until: T0S, limit: 10 })).map((e) => e.eventId)).toEqual([b!.event_id]);
      const newest = await store.searchEvents({ limit: 2 });
      expect(newest.map((e) => e.eventId)).toEqual([c!.event_id, b!.event_id]);
      expect((await store.searchEvents({ beforeId: newest[1]!.id, limit: 2 })).map((e) => e.eventId)).toEqual([a!.event_id]);
      expect((await store.searchEvents({ afterId: 0, limit: 2 })).map((e) => e.eventId)).toEqual([a!.event_id, b!.event_id]);
    });

    it('lists deliveries, computes statistics and queue depth', async () => {
      await ingest([ev(), ev(), ev()]);
      expect(await store.queueDepth()).toEqual([{ slug: 'meta', status: 'pending', count: 3 }]);
      await settle('delivered', T0 + 1000, 10);
      await ingest([ev()]);
      await settle('failed', T0 + 3_600_000, 30);
      expect((await store.searchDeliveries({ statuses: ['failed'], limit: 10 })).map((d) => d.status)).toEqual(['failed']);
      expect(await store.searchDeliveries({ slug: 'meta', siteId: 's1', limit: 10 })).toHaveLength(4);
      const page = await store.searchDeliveries({ limit: 2 });
      expect(page[0]!.updatedAt).toBeGreaterThanOrEqual(page[1]!.updatedAt);
      const rest = await store.searchDeliveries({ before: { updatedAt: page[1]!.updatedAt, id: page[1]!.id }, limit: 10 });
      expect(new Set([...page, ...rest].map((d) => d.id)).size).toBe(4);
      const stats = await store.deliveryStats({ destinationId: destId, since: T0, until: T0 + 7_200_000, bucketMs: 3_600_000 });
      expect(stats.counts).toEqual({ delivered: 3, failed: 1 });
      expect(stats.latencyMs).toEqual({ p50: 10, p95: 30, samples: 4 });
      expect(stats.buckets).toEqual([
        { start: T0, counts: { delivered: 3 } },
        { start: T0 + 3_600_000, counts: { failed: 1 } },
      ]);
      expect(await store.queueDepth()).toEqual([]);
    });

    it('requeues replays once, records them with their previous state', async () => {
      const [a] = await ingest([ev()]);
      await settle('failed');
      const candidates = await store.replayCandidates({ eventId: a!.event_id, statuses: ['failed'], limit: 10 });
      expect(candidates).toEqual([expect.objectContaining({ destination: 'meta', siteId: 's1', eventId: a!.event_id, status: 'failed' })]);
      const ids = candidates.map((c) => c.deliveryId);
      const r = await store.requeueForReplay({ requestedBy: 'me', scope: 'event', params: { event_id: a!.event_id }, deliveryIds: ids, refused: 0, reason: null }, T0 + 5000);
      expect(r).toMatchObject({ requestedBy: 'me', requeued: 1, requestedAt: T0 + 5000 });
      const again = await store.requeueForReplay({ requestedBy: 'me', scope: 'event', params: {}, deliveryIds: ids, refused: 0, reason: null }, T0 + 6000);
      expect(again.requeued).toBe(0); // open now: left alone
      expect(await store.dueDestinationIds(T0 + 5000)).toEqual([destId]);
      expect((await store.listReplays(10)).map((x) => x.requeued)).toEqual([0, 1]);
    });

    it('deletes by hashed identifiers, counting what it removed; dry run only counts', async () => {
      await ingest([ev({ identity: { em: EMAIL_HASH } }), ev({ identity: { ph: EMAIL_HASH } }), ev({ identity: {} })]);
      const opts = { requestedBy: 'dpo', now: T0 };
      expect(await store.privacyDelete({ email: [EMAIL_HASH], phone: [EMAIL_HASH] }, { ...opts, dryRun: true })).toMatchObject({ events: 2, deliveries: 2 });
      expect(await store.searchEvents({ limit: 10 })).toHaveLength(3);
      expect(await store.privacyDelete({ email: [EMAIL_HASH], phone: [EMAIL_HASH] }, { ...opts, dryRun: false })).toMatchObject({ events: 2, deliveries: 2 });
      expect(await store.searchEvents({ limit: 10 })).toHaveLength(1);
      expect(await store.privacyDelete({ siteId: 'other', externalId: [EMAIL_HASH] }, { ...opts, dryRun: false })).toMatchObject({ events: 0 });
    });
  });
}
