import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDestination, makeEvent, SITE } from '../helpers.js';
import { adminFixture, seedEvents, settleAll, T0, type AdminFixture } from './support.js';

const T0S = Math.floor(T0 / 1000);
const WINDOW = 7 * 86_400;

describe('admin API: replay', () => {
  let fx: AdminFixture;
  let destId: number;

  beforeEach(async () => {
    fx = await adminFixture(createTestDestination({ maxEventAgeSeconds: WINDOW }).registry);
    destId = (await fx.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-12345678' } }, T0)).id;
  });
  afterEach(() => fx.close());

  const deliveryOf = async (eventId: string) => (await fx.store.searchEvents({ siteId: SITE, eventId, limit: 1 }))[0]!.deliveries[0]!;

  it('replays one event inside the platform window: requeued, recorded with who and when', async () => {
    const [event] = await seedEvents(fx.store, [makeEvent({ event_time: T0S - 3 * 86_400 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed', { attempts: 3, lastError: 'HTTP 400: bad pixel' });
    fx.clock.now = T0 + 3_600_000;

    const res = await fx.call('POST', '/v1/admin/replays', { event_id: event!.event_id }, { 'x-layersync-actor': 'wp:alice' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      requeued: 1,
      refused: [],
      refused_count: 0,
      warnings: [],
      replay: {
        requested_by: 'wp:alice',
        requested_at: new Date(T0 + 3_600_000).toISOString(),
        scope: 'event',
        params: { event_id: event!.event_id, statuses: ['failed', 'dead', 'delivered', 'dry_run'] },
        requeued: 1,
        refused: 0,
        reason: null,
      },
    });
    expect(await deliveryOf(event!.event_id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: T0 + 3_600_000,
      lastError: `replay #${body.replay.id} requested by wp:alice: waiting to be sent again`,
    });
    // The worker can claim it now.
    expect(await fx.store.dueDestinationIds(T0 + 3_600_000)).toEqual([destId]);

    const list = await fx.call('GET', '/v1/admin/replays');
    expect(list.json().replays).toEqual([body.replay]);

    // Still open: nothing more to replay.
    const again = await fx.call('POST', '/v1/admin/replays', { event_id: event!.event_id });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toBe('nothing_to_replay');
    expect((await fx.call('POST', '/v1/admin/replays', { event_id: 'no-such-event' })).json().error).toBe('not_found');
  });

  it('refuses an event older than the platform accepts, says why, and records the refusal', async () => {
    const [old] = await seedEvents(fx.store, [makeEvent({ event_time: T0S - WINDOW - 3600 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'dead', { attempts: 0, lastError: 'too old' });

    const res = await fx.call('POST', '/v1/admin/replays', { event_id: old!.event_id, requested_by: 'ops' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: 'replay_refused' });
    expect(res.json().message).toMatch(/^nothing was replayed: 1 too old for Test Platform \(it accepts events up to 7 d old\) \(replay #\d+ recorded\)$/);
    expect(await deliveryOf(old!.event_id)).toMatchObject({ status: 'dead', lastError: 'too old' });
    const [recorded] = (await fx.call('GET', '/v1/admin/replays')).json().replays;
    expect(recorded).toMatchObject({ requested_by: 'ops', requeued: 0, refused: 1, reason: '1 too old for Test Platform (it accepts events up to 7 d old)' });

    // Right at the edge: the 5-minute margin for sending counts.
    const [edge] = await seedEvents(fx.store, [makeEvent({ event_time: T0S - WINDOW + 120 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed');
    expect((await fx.call('POST', '/v1/admin/replays', { event_id: edge!.event_id })).statusCode).toBe(422);
  });

  it('replays a destination or a time window: requeues what is still accepted, lists what is refused', async () => {
    const fresh = await seedEvents(fx.store, [makeEvent({ event_time: T0S - 86_400 }), makeEvent({ event_time: T0S - 2 * 86_400 })], { destinations: [destId] });
    const stale = await seedEvents(fx.store, [makeEvent({ event_time: T0S - 10 * 86_400 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed');
    const [ok] = await seedEvents(fx.store, [makeEvent({ event_time: T0S - 3600 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'delivered');

    const byDest = await fx.call('POST', '/v1/admin/replays', { destination: 'meta', site_id: SITE });
    expect(byDest.statusCode).toBe(201);
    expect(byDest.json()).toMatchObject({ requeued: 2, refused_count: 1, replay: { scope: 'destination', refused: 1 } });
    expect(byDest.json().refused).toEqual([
      {
        delivery_id: expect.any(Number),
        destination: 'meta',
        event_id: stale[0]!.event_id,
        reason: 'the event is 10 d old; Test Platform accepts events up to 7 d old, so it can no longer be replayed',
      },
    ]);
    for (const e of fresh) expect((await deliveryOf(e.event_id)).status).toBe('pending');
    // Delivered rows are not part of a destination replay unless asked for.
    expect((await deliveryOf(ok!.event_id)).status).toBe('delivered');

    await settleAll(fx.store, destId, 'failed', { now: T0 + 120_000 });
    const window = await fx.call('POST', '/v1/admin/replays', {
      since: new Date((T0S - 36 * 3600) * 1000).toISOString(),
      until: String(T0S),
      statuses: ['failed', 'delivered'],
    });
    expect(window.statusCode).toBe(201);
    expect(window.json()).toMatchObject({ requeued: 2, refused_count: 0, replay: { scope: 'window' } });
    expect((await deliveryOf(fresh[0]!.event_id)).status).toBe('pending');
    expect((await deliveryOf(ok!.event_id)).status).toBe('pending');
    expect((await deliveryOf(fresh[1]!.event_id)).status).toBe('failed');

    const oldWindow = await fx.call('POST', '/v1/admin/replays', { since: String(T0S - 12 * 86_400), until: String(T0S - 9 * 86_400) });
    expect(oldWindow.statusCode).toBe(422);
    expect(oldWindow.json().message).toContain('too old for Test Platform');
  });

  it('warns when the replay cannot reach the platform yet, and validates the request', async () => {
    const [e] = await seedEvents(fx.store, [makeEvent({ event_time: T0S - 60 })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed');
    await fx.store.updateDestination(destId, { enabled: false, mode: 'dry_run' });
    const res = await fx.call('POST', '/v1/admin/replays', { event_id: e!.event_id });
    expect(res.statusCode).toBe(201);
    expect(res.json().warnings).toEqual([
      `Test Platform (site ${SITE}, destination ${destId}) is disabled: the replayed deliveries wait until it is enabled`,
      `Test Platform (site ${SITE}, destination ${destId}) is in dry run: the replay rebuilds the payloads but sends nothing`,
    ]);

    const empty = await fx.call('POST', '/v1/admin/replays', {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/^say what to replay/);
    const half = await fx.call('POST', '/v1/admin/replays', { since: '24h' });
    expect(half.statusCode).toBe(400);
    const badStatus = await fx.call('POST', '/v1/admin/replays', { event_id: e!.event_id, statuses: ['skipped'] });
    expect(badStatus.json().issues[0].path).toBe('statuses.0');
    expect((await fx.call('POST', '/v1/admin/replays', { destination: 'meta', site_id: 'ghost' })).statusCode).toBe(404);
  });
});
