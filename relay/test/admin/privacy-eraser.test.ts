/**
 * POST /v1/privacy/delete (docs/CONTRACT.md, "Privacy delete"): the WordPress eraser's call,
 * signed with the site secret, deleting only the signing site's events that carry the hashes.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/sign.js';
import { createTestDestination, makeEvent, SECRET, SITE } from '../helpers.js';
import { adminFixture, seedEvents, T0, type AdminFixture } from './support.js';

const OTHER = 'other-site';
const OTHER_SECRET = 'o'.repeat(40);
const T0S = Math.floor(T0 / 1000);
const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const JANE = sha('jane@example.com');
const BOB = sha('bob@example.com');

describe('POST /v1/privacy/delete (site-signed eraser)', () => {
  let fx: AdminFixture;
  const post = (body: unknown, opts: { site?: string; secret?: string; requestId?: string } = {}) => {
    const payload = JSON.stringify(body);
    const headers = signRequest({ siteId: opts.site ?? SITE, secret: opts.secret ?? SECRET, body: payload, timestamp: T0S, requestId: opts.requestId });
    return fx.app.inject({ method: 'POST', url: '/v1/privacy/delete', headers, payload });
  };
  const countFor = async (siteId: string, em: string) =>
    (await fx.store.searchEvents({ siteId, limit: 100 })).filter((e) => e.event.identity.em === em).length;

  beforeEach(async () => {
    fx = await adminFixture(createTestDestination().registry);
    await fx.store.upsertSite({ siteId: OTHER, secrets: [OTHER_SECRET] }, T0);
    await seedEvents(fx.store, [makeEvent({ event_time: T0S - 60, identity: { em: JANE } }), makeEvent({ event_time: T0S - 60, identity: { em: BOB } })]);
    await seedEvents(fx.store, [makeEvent({ event_time: T0S - 60, identity: { em: JANE } })], { siteId: OTHER });
  });
  afterEach(() => fx.close());

  it("deletes the person's events for the signing site only", async () => {
    const res = await post({ em: JANE });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: 1 });
    expect(await countFor(SITE, JANE)).toBe(0);
    expect(await countFor(SITE, BOB)).toBe(1);
    expect(await countFor(OTHER, JANE)).toBe(1);
  });

  it('refuses raw values, unknown keys and an empty body with a readable 400', async () => {
    const raw = await post({ em: 'jane@example.com' });
    expect(raw.statusCode).toBe(400);
    expect(raw.json()).toMatchObject({ error: 'invalid_body', message: expect.stringMatching(/^em: must be a SHA-256 hash: 64 lowercase hex characters/) });
    expect((await post({ email: JANE })).statusCode).toBe(400);
    expect((await post({})).json().message).toMatch(/at least one of external_id, em, ph/);
    expect(await countFor(SITE, JANE)).toBe(1);
  });

  it('refuses a wrong signature and a replayed request id', async () => {
    const bad = await post({ em: JANE }, { secret: 'x'.repeat(40) });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('bad_signature');
    expect((await post({ em: BOB }, { requestId: 'req-fixed-1' })).statusCode).toBe(200);
    const replay = await post({ em: BOB }, { requestId: 'req-fixed-1' });
    expect(replay.statusCode).toBe(409);
    expect(await countFor(SITE, JANE)).toBe(1);
  });
});
