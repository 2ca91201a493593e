/**
 * Shared by the end-to-end delivery suites (four-platforms, seven-platforms): the CLI run in
 * process against the suite's SQLite file, and the delivery ledger read straight from that file.
 */
import { runCli } from '../../src/cli/program.js';
import { destinations } from '../../src/destinations/registry.js';
import { openDb } from '../fault/support.js';

/** Runs `layersync-relay <args>` in process against `dbPath`; throws with the CLI's error output on a non-zero exit. */
export async function cli(dbPath: string, args: string[]): Promise<void> {
  const err: string[] = [];
  const code = await runCli(args, { env: { LAYERSYNC_DB: dbPath }, out: () => undefined, err: (s) => err.push(s), registry: destinations });
  if (code !== 0) throw new Error(`layersync-relay ${args.join(' ')} failed: ${err.join('')}`);
}

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
