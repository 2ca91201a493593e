/**
 * Dedup and browser/server merge through the real ingest route, store and worker: what the
 * sender is told, what each destination receives (once), and the decisions a merchant can read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent } from '../../src/contract/event.js';
import { judgeCopy, mergeCopies, orderDedupKey } from '../../src/pipeline/merge.js';
import { makeEvent, SITE } from '../helpers.js';
import { createEchoDestination, GRANTED, harness, hex, T0, T0_S, type Harness } from './fixtures.js';

const EM = hex('e');
const PH = hex('1');
const EM_GOOGLE = hex('9');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function halves(eventId = 'evt-0001') {
  const browser = makeEvent({
    event_id: eventId,
    event_name: 'add_to_cart',
    event_time: T0_S - 1,
    source: 'browser',
    context: { url: 'https://shop.test/p/1', user_agent: 'Mozilla/5.0 Browser', ip: '203.0.113.7' },
    identity: { fbp: 'fb.1.1764000000000.111', fbc: 'fb.1.1764000000000.clickid' },
    consent: { ...GRANTED, do_not_sell: false },
  });
  const server = makeEvent({
    event_id: eventId,
    event_name: 'add_to_cart',
    event_time: T0_S,
    source: 'server',
    context: { ip: '198.51.100.1' },
    identity: { em: EM, ph: PH, em_google: EM_GOOGLE, fbp: 'fb.1.1764000000000.999' },
    commerce: { value: 25, currency: 'EUR', items: [{ id: 'sku-1', quantity: 1, price: 25 }] },
  });
  return { browser, server };
}

describe('browser + server merge', () => {
  it('merges the second half within the window and delivers once per destination with the union', async () => {
    const meta = createEchoDestination('meta');
    const tiktok = createEchoDestination('tiktok');
    h = await harness({ meta, tiktok }, { mergeWindowSeconds: 5 });
    await h.addDestination('meta');
    await h.addDestination('tiktok');
    const worker = h.worker();
    const { browser, server } = halves();

    const first = await h.post([browser]);
    expect(first.json()).toMatchObject({ accepted: 1, merged: 0, duplicate: 0, results: [{ status: 'accepted' }] });
    // Held for the merge window: nothing is due yet.
    const held = await h.deliveries(browser.event_id);
    expect(held.meta).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 5000 });
    await worker.runUntilIdle();
    expect(meta.sends).toEqual([]);

    h.at(T0 + 3200);
    const second = await h.post([server]);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({ accepted: 0, merged: 1, duplicate: 0 });
    expect(second.json().results[0]).toEqual({
      index: 0,
      event_id: browser.event_id,
      status: 'merged',
      reason: 'duplicate event_id from server 3.2 s after browser: merged identifiers em, em_google, ph and commerce.value, commerce.currency, commerce.items; delivered once',
    });

    h.at(T0 + 4999);
    await worker.runUntilIdle();
    expect(meta.sends).toEqual([]);

    h.at(T0 + 5000);
    await worker.runUntilIdle();
    for (const d of [meta, tiktok]) {
      expect(d.sends).toHaveLength(1);
      expect(d.payloads()).toHaveLength(1);
      expect(d.payloads()[0]).toEqual({
        name: 'AddToCart',
        id: browser.event_id,
        // Union of both halves; the browser's own cookie wins over the server's copy of it.
        identity: { fbp: 'fb.1.1764000000000.111', fbc: 'fb.1.1764000000000.clickid', em: EM, ph: PH, em_google: EM_GOOGLE },
        // The browser saw the visitor: its context wins; the server added nothing new here.
        context: { url: 'https://shop.test/p/1', user_agent: 'Mozilla/5.0 Browser', ip: '203.0.113.7' },
        commerce: { value: 25, currency: 'EUR', items: [{ id: 'sku-1', quantity: 1, price: 25 }] },
        consent: { ...GRANTED, do_not_sell: false },
        privacy: { limitedDataUse: false },
      });
    }
    expect((await h.deliveries(browser.event_id)).meta).toMatchObject({ status: 'delivered', attempts: 1 });
    // One stored event, its earlier time kept.
    const stored = await h.store.listEvents({ limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.eventTime).toBe(T0_S - 1);

    // Nothing is sent again later.
    h.at(T0 + 3_600_000);
    await worker.runUntilIdle();
    expect(meta.sends).toHaveLength(1);
  });

  it('a half arriving after the window is a duplicate: recorded, not merged, not delivered again', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 5 });
    await h.addDestination('meta');
    const worker = h.worker();
    const { browser, server } = halves();
    await h.post([browser]);
    h.at(T0 + 5000);
    await worker.runUntilIdle();
    expect(meta.payloads()).toHaveLength(1);

    h.at(T0 + 8000);
    const late = await h.post([server]);
    expect(late.json()).toMatchObject({ accepted: 0, merged: 0, duplicate: 1 });
    expect(late.json().results[0].reason).toBe(
      'duplicate event_id from server 8.0 s after browser: outside the 5.0 s merge window, so it was dropped and not delivered again',
    );
    h.at(T0 + 60_000);
    await worker.runUntilIdle();
    expect(meta.payloads()).toHaveLength(1);
    const [stored] = await h.store.listEvents({ limit: 1 });
    expect(stored!.event.identity.em).toBeUndefined();
  });

  it('the same source again within the window is a resend, not a second half', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    await h.addDestination('meta');
    const { server } = halves();
    await h.post([server]);
    h.at(T0 + 1000);
    const again = await h.post([{ ...server, identity: { ...server.identity, external_id: hex('a') } }]);
    expect(again.json()).toMatchObject({ duplicate: 1 });
    expect(again.json().results[0].reason).toMatch(/^duplicate event_id from server 1\.0 s after server: a server copy was already received/);
    const [stored] = await h.store.listEvents({ limit: 1 });
    expect(stored!.event.identity.external_id).toBeUndefined();
  });

  it('two halves in one request: the second merges into the first', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    await h.addDestination('meta');
    const { browser, server } = halves();
    const res = await h.post([browser, server]);
    expect(res.json()).toMatchObject({ accepted: 1, merged: 1, results: [{ status: 'accepted' }, { status: 'merged' }] });
    h.at(T0 + 5000);
    await h.worker().runUntilIdle();
    expect(meta.payloads()).toHaveLength(1);
    expect(meta.payloads()[0]!.identity).toMatchObject({ em: EM, fbp: 'fb.1.1764000000000.111' });
  });

  it('with a zero window nothing waits and every further copy is a duplicate', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 0 });
    await h.addDestination('meta');
    const { browser, server } = halves();
    await h.post([browser]);
    await h.worker().runUntilIdle();
    expect(meta.payloads()).toHaveLength(1);
    expect((await h.post([server])).json()).toMatchObject({ duplicate: 1 });
  });
});

describe('order_id dedup', () => {
  const purchase = (eventId: string, o: Parameters<typeof makeEvent>[0] = {}) =>
    makeEvent({ event_id: eventId, event_name: 'purchase', source: 'server', event_time: T0_S, commerce: { order_id: '1001', value: 99.5, currency: 'EUR' }, ...o });

  it('keeps the first purchase of an order and drops another event id for it, saying which was kept', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    await h.addDestination('meta');
    expect((await h.post([purchase('order-1001-purchase')])).json()).toMatchObject({ accepted: 1 });
    h.at(T0 + 60_000);
    const dup = await h.post([purchase('sdk-random-id-1', { source: 'sdk' })]);
    expect(dup.json()).toMatchObject({ accepted: 0, duplicate: 1 });
    expect(dup.json().results[0]).toEqual({
      index: 0,
      event_id: 'sdk-random-id-1',
      status: 'duplicate',
      reason: 'duplicate order_id 1001 purchase: kept event order-1001-purchase, dropped sdk-random-id-1',
    });
    await h.worker().runUntilIdle();
    expect(meta.payloads().map((p) => p.id)).toEqual(['order-1001-purchase']);
    expect((await h.store.listEvents({ limit: 10 })).map((e) => e.eventId)).toEqual(['order-1001-purchase']);

    // Another order, and a lead reusing the order id, are not affected.
    expect((await h.post([purchase('order-1002', { commerce: { order_id: '1002', value: 1, currency: 'EUR' } })])).json().accepted).toBe(1);
    expect((await h.post([makeEvent({ event_name: 'lead', commerce: { order_id: '1001' } })])).json().accepted).toBe(1);
  });

  it('counts partial refunds of different amounts, drops a repeated refund of the same amount', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    const refund = (id: string, value: number) =>
      makeEvent({ event_id: id, event_name: 'refund', source: 'server', event_time: T0_S, commerce: { order_id: '1001', value, currency: 'EUR' } });
    const res = await h.post([purchase('p-1'), refund('r-1', 10), refund('r-2', 15), refund('r-3', 10)]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'duplicate']);
    expect(res.json().results[3].reason).toBe('duplicate order_id 1001 refund: kept event r-1, dropped r-3');
  });

  it('forgets an order after the dedup window', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { dedupWindowSeconds: 7 * 86_400 });
    await h.post([purchase('first-purchase')]);
    h.at(T0 + 7 * 86_400_000 + 1);
    expect((await h.post([purchase('much-later', { event_time: T0_S + 7 * 86_400 })])).json()).toMatchObject({ accepted: 1 });
    // The key now points at the new purchase; it is pruned once its own window has passed.
    expect(await h.store.pruneDedupKeys(T0 + 7 * 86_400_000)).toBe(0);
    expect(await h.store.pruneDedupKeys(T0 + 7 * 86_400_000 + 2)).toBe(1);
  });
});

describe('decisions', () => {
  it('records which copies arrived, when, which was kept and why; readable by event, order and site', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    const { browser, server } = halves('evt-merged');
    const single = makeEvent({ event_id: 'evt-single', source: 'sdk' });
    await h.post([browser, single]);
    h.at(T0 + 3200);
    await h.post([server]);
    h.at(T0 + 9000);
    await h.post([{ ...server, source: 'sdk' }]);

    const merged = await h.store.listDecisions({ siteId: SITE, eventId: 'evt-merged' });
    expect(merged).toEqual([
      expect.objectContaining({ eventId: 'evt-merged', keptEventId: 'evt-merged', source: 'browser', receivedAt: T0, action: 'accepted', reason: 'first copy, from browser: kept', mergedFields: [] }),
      expect.objectContaining({
        source: 'server',
        receivedAt: T0 + 3200,
        action: 'merged',
        mergedFields: ['em', 'em_google', 'ph', 'commerce.value', 'commerce.currency', 'commerce.items'],
        reason: expect.stringMatching(/^duplicate event_id from server 3\.2 s after browser: merged identifiers em, em_google, ph/),
      }),
      expect.objectContaining({ source: 'sdk', receivedAt: T0 + 9000, action: 'duplicate', reason: expect.stringMatching(/outside the 5\.0 s merge window/) }),
    ]);
    expect(merged.every((d) => typeof d.id === 'number' && d.siteId === SITE && d.eventName === 'add_to_cart')).toBe(true);

    // A single copy: one synthesized entry.
    expect(await h.store.listDecisions({ siteId: SITE, eventId: 'evt-single' })).toEqual([
      { id: null, siteId: SITE, eventId: 'evt-single', keptEventId: 'evt-single', eventName: 'lead', orderId: null, source: 'sdk', receivedAt: T0, action: 'accepted', mergedFields: [], reason: 'only copy, from sdk: kept' },
    ]);
    expect(await h.store.listDecisions({ siteId: SITE, eventId: 'nope' })).toEqual([]);
    expect(await h.store.listDecisions({ siteId: 'other-site', eventId: 'evt-merged' })).toEqual([]);

    // Site-wide: conflicts only, newest first.
    const recent = await h.store.listDecisions({ siteId: SITE, limit: 2 });
    expect(recent.map((d) => d.action)).toEqual(['duplicate', 'merged']);
  });

  it('records order duplicates under both event ids and the order id', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta });
    const purchase = (id: string, source: 'server' | 'sdk') =>
      makeEvent({ event_id: id, event_name: 'purchase', source, commerce: { order_id: 'A-77', value: 5, currency: 'USD' } });
    await h.post([purchase('kept-one', 'server')]);
    expect(await h.store.listDecisions({ siteId: SITE, orderId: 'A-77' })).toEqual([
      expect.objectContaining({ id: null, eventId: 'kept-one', orderId: 'A-77', action: 'accepted' }),
    ]);
    h.at(T0 + 2500);
    await h.post([purchase('dropped-one', 'sdk')]);
    const byOrder = await h.store.listDecisions({ siteId: SITE, orderId: 'A-77' });
    expect(byOrder).toEqual([
      expect.objectContaining({ eventId: 'kept-one', keptEventId: 'kept-one', source: 'server', action: 'accepted', orderId: 'A-77' }),
      expect.objectContaining({
        eventId: 'dropped-one',
        keptEventId: 'kept-one',
        source: 'sdk',
        receivedAt: T0 + 2500,
        action: 'duplicate',
        reason: 'duplicate order_id A-77 purchase: kept event kept-one, dropped dropped-one',
      }),
    ]);
    expect(await h.store.listDecisions({ siteId: SITE, eventId: 'dropped-one' })).toEqual([byOrder[1]]);
    expect(await h.store.listDecisions({ siteId: SITE, eventId: 'kept-one' })).toEqual(byOrder);
  });
});

describe('merge rules (pure)', () => {
  const ev = (o: Parameters<typeof makeEvent>[0]): CanonicalEvent => canonicalEventSchema.parse(makeEvent({ event_id: 'x-1', event_time: T0_S, ...o }));

  it('server commerce and PII win over the browser copy; browser ids and context win over the server copy', () => {
    const browser = ev({
      source: 'browser',
      identity: { em: hex('b'), fbp: 'browser-fbp' },
      context: { user_agent: 'browser-ua', ip: '203.0.113.7', ip_anonymized: true },
      commerce: { value: 20, currency: 'EUR', items: [{ id: 'a' }] },
    });
    const server = ev({
      source: 'server',
      identity: { em: hex('c'), fbp: 'server-fbp', external_id: hex('d') },
      context: { user_agent: 'server-ua', url: 'https://shop.test/checkout' },
      commerce: { value: 21.5, currency: 'EUR', tax: 1.5, items: [] },
      properties: { payment: 'card' },
    });
    for (const [kept, incoming] of [
      [browser, server],
      [server, browser],
    ] as const) {
      const { event } = mergeCopies(kept, incoming);
      expect(event.identity).toEqual({ em: hex('c'), fbp: 'browser-fbp', external_id: hex('d') });
      expect(event.context).toEqual({ user_agent: 'browser-ua', ip: '203.0.113.7', ip_anonymized: true, url: 'https://shop.test/checkout' });
      expect(event.commerce).toEqual({ value: 21.5, currency: 'EUR', tax: 1.5, items: [{ id: 'a' }] });
      expect(event.properties).toEqual({ payment: 'card' });
    }
  });

  it('consent: a purpose is granted only if no half denied it; do_not_sell if either set it', () => {
    const a = ev({ source: 'browser', consent: { ...GRANTED, ad_user_data: 'denied', ldu: { country: 'US', state: 'CA' } } });
    const b = ev({ source: 'server', consent: { ...GRANTED, analytics_storage: 'denied', do_not_sell: true } });
    expect(mergeCopies(a, b).event.consent).toEqual({
      ad_storage: 'granted',
      analytics_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'granted',
      do_not_sell: true,
      ldu: { country: 'US', state: 'CA' },
    });
    // A half without a snapshot takes the other's.
    expect(mergeCopies(ev({ source: 'server' }), a).event.consent).toEqual(a.consent);
    expect(mergeCopies(ev({ source: 'server' }), a).added).toEqual(['consent']);
  });

  it('a copy with another event_name is not merged', () => {
    const v = judgeCopy(
      { event: ev({ source: 'browser', event_name: 'lead' }), firstSource: 'browser', firstReceivedAt: T0, sources: ['browser'] },
      ev({ source: 'server', event_name: 'sign_up' }),
      T0 + 100,
      5000,
    );
    expect(v).toEqual({ kind: 'duplicate', reason: 'duplicate event_id from server 0.1 s after browser, but named "sign_up" where the stored copy is "lead": dropped, not merged' });
  });

  it('nothing new to merge is still a merge of the two halves', () => {
    const v = judgeCopy({ event: ev({ source: 'browser' }), firstSource: 'browser', firstReceivedAt: T0, sources: ['browser'] }, ev({ source: 'server' }), T0 + 10, 5000);
    expect(v).toMatchObject({ kind: 'merge', added: [], reason: 'duplicate event_id from server 0.0 s after browser: nothing new to merge; delivered once' });
  });

  it('order keys: purchase by order, refund by order and value, nothing else', () => {
    expect(orderDedupKey({ event_name: 'purchase', commerce: { order_id: '9' } })).toEqual({ orderId: '9', key: 'purchase' });
    expect(orderDedupKey({ event_name: 'refund', commerce: { order_id: '9', value: 3, currency: 'EUR' } })).toEqual({ orderId: '9', key: 'refund:3' });
    expect(orderDedupKey({ event_name: 'refund', commerce: { order_id: '9' } })).toEqual({ orderId: '9', key: 'refund' });
    expect(orderDedupKey({ event_name: 'lead', commerce: { order_id: '9' } })).toBeUndefined();
    expect(orderDedupKey({ event_name: 'purchase', commerce: {} })).toBeUndefined();
  });
});
