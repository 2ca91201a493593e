import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/contract/event.js';
import { MIGRATIONS, migrate } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { IngestBatch } from '../../src/store/types.js';
import { makeEvent, tempDir } from '../helpers.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('SQLite in memory', async () => ({ store: openSqliteStore(':memory:') }));

describeStoreContract('SQLite file (WAL)', async () => {
  const t = tempDir();
  return { store: openSqliteStore(path.join(t.dir, 'nested', 'relay.sqlite')), cleanup: t.cleanup };
});

describe('SQLite store specifics', () => {
  let t: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    t = tempDir();
    file = path.join(t.dir, 'relay.sqlite');
  });
  afterEach(() => t.cleanup());

  const batch = (requestId: string, siteId = 's1'): IngestBatch => ({
    siteId,
    requestId,
    requestIdExpiresAt: Date.now() + 300_000,
    receivedAt: Date.now(),
    events: [{ event: canonicalEventSchema.parse(makeEvent()), deliveries: [] }],
  });

  it('uses WAL, synchronous=FULL, a busy timeout and foreign keys; records migrations', async () => {
    const store = openSqliteStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const rows = db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as Array<{ id: string }>;
    expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(
      expect.arrayContaining(['decisions', 'deliveries', 'destinations', 'events', 'order_keys', 'request_ids', 'schema_migrations', 'site_policies', 'sites']),
    );
    db.close();

    const probe = openSqliteStore(file);
    const raw = (probe as unknown as { db: Database.Database }).db;
    expect(raw.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(raw.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(raw.pragma('foreign_keys', { simple: true })).toBe(1);
    await probe.close();
  });

  it('applies each migration once, also when opened again', () => {
    const db = new Database(':memory:');
    let runs = 0;
    const migrations = [{ id: '2099-01-01-test', up: () => void runs++ }];
    expect(migrate(db, migrations)).toEqual(['2099-01-01-test']);
    expect(migrate(db, migrations)).toEqual([]);
    expect(runs).toBe(1);
    db.close();
  });

  it('keeps committed events across a reopen', async () => {
    const a = openSqliteStore(file);
    await a.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
    await a.ingest(batch('request-0001'));
    await a.close();
    const b = openSqliteStore(file);
    expect(await b.listEvents({ limit: 10 })).toHaveLength(1);
    expect(await b.isRequestIdSeen('s1', 'request-0001', Date.now())).toBe(true);
    await b.close();
  });

  it('group commit: a failing request fails alone, its neighbours in the same transaction commit', async () => {
    const store = openSqliteStore(file);
    await store.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
    const good1 = store.ingest(batch('request-a001'));
    // Unknown site violates the foreign key: only this request's savepoint rolls back.
    const bad = store.ingest(batch('request-b001', 'no-such-site'));
    const good2 = store.ingest(batch('request-c001'));
    await expect(good1).resolves.toMatchObject({ replayed: false, results: ['accepted'] });
    await expect(bad).rejects.toThrow(/FOREIGN KEY/);
    await expect(good2).resolves.toMatchObject({ replayed: false, results: ['accepted'] });
    expect(await store.listEvents({ limit: 10 })).toHaveLength(2);
    expect(await store.isRequestIdSeen('no-such-site', 'request-b001', Date.now())).toBe(false);
    await store.close();
  });

  it('caches sites and destination lists: its own changes are seen at once, another process\'s within 250 ms', async () => {
    const a = openSqliteStore(file);
    await a.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
    const first = await a.getSite('s1');
    expect(await a.getSite('s1')).toBe(first); // served from the cache
    expect(Object.isFrozen(first) && Object.isFrozen(first!.secrets)).toBe(true);
    await a.upsertSite({ siteId: 's1', secrets: ['n'.repeat(32), 'k'.repeat(32)] });
    expect((await a.getSite('s1'))!.secrets).toEqual(['n'.repeat(32), 'k'.repeat(32)]);
    expect(await a.listDestinations({ siteId: 's1', enabledOnly: true })).toEqual([]);

    // The CLI is another connection: `connect` adds a destination, `sites add` rotates the secret.
    const cli = openSqliteStore(file);
    await cli.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: { pixel_id: '1' } });
    await cli.upsertSite({ siteId: 's1', secrets: ['c'.repeat(32)] });
    await cli.close();
    await new Promise((r) => setTimeout(r, 260));
    expect((await a.listDestinations({ siteId: 's1', enabledOnly: true })).map((d) => d.slug)).toEqual(['meta']);
    expect((await a.getSite('s1'))!.secrets).toEqual(['c'.repeat(32)]);
    // An unknown site id (an unauthenticated request) is not cached.
    expect(await a.getSite('nobody')).toBeUndefined();
    await a.close();
  });
});
