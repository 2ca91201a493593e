/**
 * Versioned SQLite migrations. Each is a dated function applied once, in order, inside its own
 * transaction, and recorded in `schema_migrations`. Never edit a migration that has shipped:
 * add a new one.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  /** `YYYY-MM-DD-name`; sorts in application order. */
  id: string;
  up(db: Database): void;
}

/** 2025-11-23: sites, events, destinations, deliveries and replay protection. */
function m20251123Foundation(db: Database): void {
  db.exec(`
    CREATE TABLE sites (
      site_id         TEXT PRIMARY KEY,
      -- Plaintext for now; a later migration encrypts secrets at rest.
      secret          TEXT NOT NULL,
      -- The previous secret stays valid during a rotation.
      secret_previous TEXT,
      created_at      INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL
    ) STRICT;

    -- Integer primary key: inserts append; the (site_id, event_id) index is the dedup key.
    CREATE TABLE events (
      id          INTEGER PRIMARY KEY,
      site_id     TEXT NOT NULL REFERENCES sites(site_id),
      event_id    TEXT NOT NULL,
      event_name  TEXT NOT NULL,
      event_time  INTEGER NOT NULL,
      source      TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      request_id  TEXT NOT NULL,
      body        TEXT NOT NULL,
      UNIQUE (site_id, event_id)
    ) STRICT;
    CREATE INDEX events_site_recent ON events (site_id, id);

    CREATE TABLE destinations (
      id            INTEGER PRIMARY KEY,
      site_id       TEXT NOT NULL REFERENCES sites(site_id),
      slug          TEXT NOT NULL,
      enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      mode          TEXT NOT NULL CHECK (mode IN ('live', 'dry_run')),
      settings      TEXT NOT NULL,
      parked_at     INTEGER,
      parked_reason TEXT,
      created_at    INTEGER NOT NULL,
      updated_at    INTEGER NOT NULL,
      UNIQUE (site_id, slug)
    ) STRICT;

    CREATE TABLE deliveries (
      id                  INTEGER PRIMARY KEY,
      event_pk            INTEGER NOT NULL REFERENCES events(id),
      destination_id      INTEGER NOT NULL REFERENCES destinations(id),
      platform_event_name TEXT,
      status              TEXT NOT NULL CHECK (status IN ('pending','delivered','dry_run','retry','failed','dead','skipped')),
      attempts            INTEGER NOT NULL DEFAULT 0,
      next_attempt_at     INTEGER,
      lease_token         TEXT,
      lease_until         INTEGER,
      last_status         INTEGER,
      last_error          TEXT,
      payload             TEXT,
      latency_ms          INTEGER,
      created_at          INTEGER NOT NULL,
      updated_at          INTEGER NOT NULL,
      UNIQUE (event_pk, destination_id)
    ) STRICT;
    -- Only open rows are indexed for the worker's claim, so settled history costs it nothing.
    CREATE INDEX deliveries_due ON deliveries (destination_id, next_attempt_at)
      WHERE status IN ('pending', 'retry');

    CREATE TABLE request_ids (
      site_id    TEXT NOT NULL,
      request_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, request_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX request_ids_expiry ON request_ids (expires_at);
  `);
}

export const MIGRATIONS: readonly Migration[] = [
  { id: '2025-11-23-foundation', up: m20251123Foundation },
  { id: '2026-11-23-operator', up: m20261123Operator },
  // Ids sort in application order (same date: by name), so pipeline follows operator.
  { id: '2026-11-23-pipeline', up: m20261123Pipeline },
  { id: '2026-11-24-retention', up: m20261124Retention },
];

/**
 * 2026-11-24: retention. Deleting an event's deliveries (retention, privacy delete) and listing
 * them with their event (Live Events) look deliveries up by event; without this index each of
 * those read the whole deliveries table.
 */
function m20261124Retention(db: Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_pk)');
}

/** Applies every migration not yet recorded. Safe to run from several processes at once. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`);
  const applied: string[] = [];
  const isApplied = db.prepare<[string], { id: string }>('SELECT id FROM schema_migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    // IMMEDIATE takes the write lock before checking, so two processes starting together
    // (relay and CLI) cannot both apply the same migration.
    db.transaction(() => {
      if (isApplied.get(m.id)) return;
      m.up(db);
      record.run(m.id, now);
      applied.push(m.id);
    }).immediate();
  }
  return applied;
}

/**
 * 2026-11-23: the pipeline — per-site privacy policies, per-destination event map overrides,
 * order_id dedup keys and the visible dedup/merge decisions.
 */
function m20261123Pipeline(db: Database): void {
  db.exec(`
    -- JSON object of canonical event name -> platform event name (or null: do not forward).
    ALTER TABLE destinations ADD COLUMN event_map TEXT;

    CREATE TABLE site_policies (
      site_id    TEXT PRIMARY KEY REFERENCES sites(site_id),
      policy     TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;

    -- One purchase (one refund per value) per order within the dedup window.
    CREATE TABLE order_keys (
      site_id     TEXT NOT NULL,
      order_id    TEXT NOT NULL,
      dedup_key   TEXT NOT NULL,
      event_pk    INTEGER NOT NULL REFERENCES events(id),
      event_id    TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (site_id, order_id, dedup_key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX order_keys_age ON order_keys (received_at);

    -- Written only when an event gets a second copy, so the common single-copy path costs nothing.
    CREATE TABLE decisions (
      id            INTEGER PRIMARY KEY,
      site_id       TEXT NOT NULL,
      event_id      TEXT NOT NULL,
      event_pk      INTEGER NOT NULL REFERENCES events(id),
      kept_event_id TEXT NOT NULL,
      event_name    TEXT NOT NULL,
      order_id      TEXT,
      source        TEXT NOT NULL,
      received_at   INTEGER NOT NULL,
      action        TEXT NOT NULL CHECK (action IN ('accepted', 'merged', 'duplicate')),
      merged_fields TEXT,
      reason        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX decisions_event ON decisions (site_id, event_id);
    CREATE INDEX decisions_kept ON decisions (event_pk);
    CREATE INDEX decisions_site ON decisions (site_id, id);
    CREATE INDEX decisions_order ON decisions (site_id, order_id) WHERE order_id IS NOT NULL;
  `);
}

/**
 * 2026-11-23: the operator surface — replays (who asked, when, what was requeued and what each
 * delivery was before), privacy deletions (counts only, never the identifiers), and indexes for
 * the admin API's delivery listings/statistics and order search. Site secrets and destination
 * credentials are sealed by the vault (src/vault) in their existing columns, not here.
 */
function m20261123Operator(db: Database): void {
  db.exec(`
    CREATE TABLE replays (
      id           INTEGER PRIMARY KEY,
      requested_at INTEGER NOT NULL,
      requested_by TEXT NOT NULL,
      scope        TEXT NOT NULL CHECK (scope IN ('event', 'destination', 'window')),
      params       TEXT NOT NULL,
      requeued     INTEGER NOT NULL,
      refused      INTEGER NOT NULL,
      reason       TEXT
    ) STRICT;

    CREATE TABLE replay_items (
      replay_id         INTEGER NOT NULL REFERENCES replays(id),
      delivery_id       INTEGER NOT NULL REFERENCES deliveries(id),
      previous_status   TEXT NOT NULL,
      previous_attempts INTEGER NOT NULL,
      previous_error    TEXT,
      PRIMARY KEY (replay_id, delivery_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX replay_items_delivery ON replay_items (delivery_id);

    CREATE TABLE privacy_deletions (
      id           INTEGER PRIMARY KEY,
      requested_at INTEGER NOT NULL,
      requested_by TEXT NOT NULL,
      -- Which kinds of identifier were matched (e.g. ["email_sha256"]), never their values.
      matched_by   TEXT NOT NULL,
      site_id      TEXT,
      counts       TEXT NOT NULL
    ) STRICT;

    -- Listing a destination's deliveries by status, and its statistics over a time window.
    CREATE INDEX deliveries_by_destination ON deliveries (destination_id, status, updated_at);
    -- Order search. Partial: only purchase and refund carry an order id worth finding, and other
    -- events then cost ingest nothing.
    CREATE INDEX events_order_id ON events (json_extract(body, '$.commerce.order_id'))
      WHERE event_name IN ('purchase', 'refund');
  `);
}
