/** Per-site ingest rate limit: a token bucket counted in events, answered with 429 + Retry-After. */
import { afterEach, describe, expect, it } from 'vitest';
import { SiteRateLimiter } from '../../src/ingest/rate-limit.js';
import { makeEvent, SECRET } from '../helpers.js';
import { createEchoDestination, harness, T0, type Harness } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const batch = (n: number) => Array.from({ length: n }, () => makeEvent({ event_time: Math.floor(T0 / 1000) }));

describe('ingest rate limit', () => {
  it('counts events, not requests, answers 429 with Retry-After and the contract body, and stores nothing', async () => {
    h = await harness({ meta: createEchoDestination('meta') }, { rateLimitEventsPerSecond: 100, rateLimitBurst: 500 });
    // 500 events in one request use the whole burst.
    expect((await h.post(batch(500))).statusCode).toBe(202);
    const refused = await h.post(batch(1));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({
      error: 'rate_limited',
      message: 'site "test-site" is sending more than 100 events per second; retry this batch after 1 s with a fresh request id and signature',
    });
    expect(await h.store.listEvents({ limit: 1000 })).toHaveLength(500);

    // 250 ms refill 25 events: a batch of 60 must wait for 35 more, i.e. 1 s (rounded up).
    h.at(T0 + 250);
    const big = await h.post(batch(60));
    expect(big.statusCode).toBe(429);
    expect(big.headers['retry-after']).toBe('1');
    expect((await h.post(batch(25))).statusCode).toBe(202);

    // After Retry-After the same batch goes through.
    h.at(T0 + 1250 + 1);
    expect((await h.post(batch(60))).statusCode).toBe(202);
    expect(await h.store.listEvents({ limit: 1000 })).toHaveLength(585);
  });

  it('is per site: one busy site does not use another site’s budget', async () => {
    h = await harness({ meta: createEchoDestination('meta') }, { rateLimitEventsPerSecond: 10, rateLimitBurst: 500 });
    await h.store.upsertSite({ siteId: 'other-site', secrets: [SECRET] });
    expect((await h.post(batch(500))).statusCode).toBe(202);
    expect((await h.post(batch(1))).statusCode).toBe(429);
    expect((await h.post(batch(3), 'other-site')).statusCode).toBe(202);
  });

  it('is off with a rate of 0', async () => {
    h = await harness({ meta: createEchoDestination('meta') }, { rateLimitEventsPerSecond: 0 });
    for (let i = 0; i < 3; i++) expect((await h.post(batch(500))).statusCode).toBe(202);
  });
});

describe('SiteRateLimiter', () => {
  it('refills at the rate up to the burst, and lets a batch larger than the burst pass only from a full bucket', () => {
    const l = new SiteRateLimiter({ ratePerSecond: 10, burst: 20 });
    expect(l.take('s', 20, 0)).toEqual({ ok: true });
    expect(l.take('s', 1, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(l.take('s', 15, 1000)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(l.take('s', 10, 1000)).toEqual({ ok: true });
    expect(l.take('s', 30, 10_000)).toEqual({ ok: true }); // full bucket, leaves a debt of 10
    expect(l.take('s', 1, 10_000)).toEqual({ ok: false, retryAfterSeconds: 2 });
    // A clock going backwards refills nothing.
    expect(l.take('s', 1, 5_000)).toEqual({ ok: false, retryAfterSeconds: 2 });
    l.sweep(100_000);
    expect(l.take('s', 20, 100_000)).toEqual({ ok: true });
  });
});
