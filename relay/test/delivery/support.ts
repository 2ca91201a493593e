/**
 * Shared by the end-to-end delivery suites (four-platforms, seven-platforms): the delivery ledger
 * read straight from the suite's SQLite file (the in-process CLI and relay configuration are in
 * ../fault/support.ts, shared with the fault suites).
 */
import { openDb } from '../fault/support.js';

/** One delivery row of the ledger, with the slug of its destination. */
export interface LedgerRow {
  slug: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

/** The delivery rows of one event (by its event_id), keyed by destination slug. */
export function ledger(dbPath: string, eventId: string): Record<string, LedgerRow> {
  const db = openDb(dbPath);
  try {
    const rows = db
      .prepare<[string], LedgerRow>(
        `SELECT dest.slug AS slug, d.status AS status, d.attempts AS attempts, d.last_status AS last_status, d.last_error AS last_error
         FROM deliveries d JOIN events e ON e.id = d.event_pk JOIN destinations dest ON dest.id = d.destination_id
         WHERE e.event_id = ?`,
      )
      .all(eventId);
    return Object.fromEntries(rows.map((r) => [r.slug, r]));
  } finally {
    db.close();
  }
}

/** Each destination's delivery status for one event (by its event_id). */
export function outcomes(dbPath: string, eventId: string): Record<string, string> {
  return Object.fromEntries(Object.entries(ledger(dbPath, eventId)).map(([slug, row]) => [slug, row.status]));
}
