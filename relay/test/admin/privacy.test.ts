import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, EMAIL_HASH, makeEvent, SITE, tempDir } from '../helpers.js';
import { adminFixture, seedEvents, settleAll, T0, type AdminFixture } from './support.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const OTHER_EMAIL = sha('other@example.com');
const PHONE = sha('4915112345678');

describe('admin API: privacy delete', () => {
  let t: ReturnType<typeof tempDir>;
  let fx: AdminFixture;
  let destId: number;
  let dbPath: string;

  beforeEach(async () => {
    t = tempDir();
    dbPath = path.join(t.dir, 'relay.sqlite');
    fx = await adminFixture(createTestDestination().registry, { store: openSqliteStore(dbPath) });
    destId = (await fx.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-12345678' } }, T0)).id;
  });
  afterEach(async () => {
    await fx.close();
    t.cleanup();
  });

  const count = async () => {
    const events = await fx.store.searchEvents({ limit: 1000 });
    return { events: events.length, deliveries: events.reduce((n, e) => n + e.deliveries.length, 0) };
  };

  it('deletes every event carrying the hashed email, with deliveries, decisions and replay records; returns counts', async () => {
    const mine = await seedEvents(
      fx.store,
      [
        makeEvent({ identity: { em: EMAIL_HASH } }),
        makeEvent({ identity: { em: EMAIL_HASH, ph: PHONE } }),
        makeEvent({ event_name: 'purchase', identity: { em: EMAIL_HASH }, commerce: { order_id: 'WC-7', value: 5, currency: 'EUR' } }),
      ],
      { destinations: [destId] },
    );
    await seedEvents(fx.store, [makeEvent({ identity: { em: OTHER_EMAIL } }), makeEvent({ identity: {} })], { destinations: [destId] });
    await settleAll(fx.store, destId, 'failed');
    // A duplicate copy of the purchase (a decision row) and a replay of one of mine (a replay item).
    await seedEvents(fx.store, [makeEvent({ event_id: mine[2]!.event_id, identity: { em: EMAIL_HASH } })]);
    fx.clock.now = T0 + 60_000;
    expect((await fx.call('POST', '/v1/admin/replays', { event_id: mine[0]!.event_id })).statusCode).toBe(201);
    expect(await count()).toEqual({ events: 5, deliveries: 5 });

    const preview = await fx.call('POST', '/v1/admin/privacy/delete', { email_sha256: EMAIL_HASH, dry_run: true });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ dry_run: true, deleted: { events: 3, deliveries: 3, replay_items: 1, identities: 0 } });
    expect(preview.json().deleted.decisions).toBeGreaterThanOrEqual(1);
    expect(await count()).toEqual({ events: 5, deliveries: 5 });

    const res = await fx.call('POST', '/v1/admin/privacy/delete', { email_sha256: EMAIL_HASH }, { 'x-layersync-actor': 'dpo@shop' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ dry_run: false, deleted: preview.json().deleted });
    expect(await count()).toEqual({ events: 2, deliveries: 2 });
    for (const e of mine) expect(await fx.store.searchEvents({ siteId: SITE, eventId: e.event_id, limit: 1 })).toEqual([]);
    expect((await fx.call('GET', '/v1/admin/events?order_id=WC-7')).json().events).toEqual([]);

    // Really gone from the file, and the request is recorded without the identifier.
    await fx.store.close();
    const bytes = Buffer.concat([readFileSync(dbPath), ...(['-wal'].map((s) => { try { return readFileSync(dbPath + s); } catch { return Buffer.alloc(0); } }))]);
    expect(bytes.includes(Buffer.from(EMAIL_HASH))).toBe(false);
    expect(bytes.includes(Buffer.from(OTHER_EMAIL))).toBe(true);
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT requested_by, matched_by, site_id, counts FROM privacy_deletions').all();
    db.close();
    expect(rows).toEqual([{ requested_by: 'dpo@shop', matched_by: '["email_sha256"]', site_id: null, counts: expect.stringContaining('"events":3') }]);
  });

  it('matches external ids (raw ones are hashed like the plugin does) and phone hashes, optionally per site', async () => {
    await fx.store.upsertSite({ siteId: 'site-b', secrets: ['b'.repeat(40)] }, T0);
    await seedEvents(fx.store, [makeEvent({ identity: { external_id: sha('customer-42') } }), makeEvent({ identity: { ph: PHONE } })]);
    await seedEvents(fx.store, [makeEvent({ identity: { external_id: sha('customer-42') } })], { siteId: 'site-b' });

    const siteOnly = await fx.call('POST', '/v1/admin/privacy/delete', { external_id: '  customer-42 ', site_id: 'site-b' });
    expect(siteOnly.json().deleted.events).toBe(1);
    const both = await fx.call('POST', '/v1/admin/privacy/delete', { external_id_sha256: [sha('customer-42')], phone_sha256: PHONE });
    expect(both.json().deleted).toMatchObject({ events: 2, deliveries: 0 });
    expect(await count()).toEqual({ events: 0, deliveries: 0 });
  });

  it('names invalid identifiers and refuses an empty request', async () => {
    const empty = await fx.call('POST', '/v1/admin/privacy/delete', {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/give at least one of external_id/);
    const raw = await fx.call('POST', '/v1/admin/privacy/delete', { email_sha256: 'Person@Example.com' });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().issues[0].path).toMatch(/^email_sha256/);
    // The rejected value is never echoed back.
    expect(raw.body).not.toContain('Person@Example.com');
    expect((await fx.call('POST', '/v1/admin/privacy/delete', { email_sha256: EMAIL_HASH, site_id: 'ghost' })).statusCode).toBe(404);
  });
});
