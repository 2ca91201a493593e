/**
 * `layersync-relay stream`: prints stored events as readable blocks with, per destination, the
 * status and the exact JSON payload that was (or in dry-run would be) sent. Identity fields in
 * payloads are SHA-256 hashes by contract; nothing raw is printed.
 */
import type { EventView, Store } from '../store/types.js';

export function formatEvent(e: EventView): string {
  const when = new Date(e.eventTime * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const lines = [
    `── ${when}  ${e.eventName}  (site ${e.siteId})`,
    `   event_id  ${e.eventId}`,
    `   source    ${e.source}`,
  ];
  if (e.deliveries.length === 0) lines.push('   (no destinations connected for this site)');
  for (const d of e.deliveries) {
    const name = d.platformEventName ? ` → ${d.platformEventName}` : '';
    const attempts = d.attempts > 0 ? `, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` : '';
    const http = d.lastStatus !== null ? `, HTTP ${d.lastStatus}` : '';
    const next = d.status === 'retry' && d.nextAttemptAt !== null ? `, next ${new Date(d.nextAttemptAt).toISOString()}` : '';
    lines.push(`   ${d.destination}  ${d.status}${name} (${d.mode}${attempts}${http}${next})`);
    if (d.lastError) lines.push(`      reason: ${d.lastError}`);
    if (d.payload !== null) {
      for (const l of JSON.stringify(d.payload, null, 2).split('\n')) lines.push(`      ${l}`);
    }
  }
  return lines.join('\n') + '\n';
}

export interface FollowOptions {
  siteId?: string;
  /** Recent events to print before following. */
  recent: number;
  pollMs: number;
  /**
   * How long to wait for a new event's deliveries to leave `pending` before printing it anyway,
   * so the block shows what the worker did rather than "pending".
   */
  settleMs: number;
  write: (s: string) => void;
  now?: () => number;
  signal: AbortSignal;
}

/** Prints recent events, then each new one in order until the signal aborts. */
export async function followEvents(store: Store, opts: FollowOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  let cursor: number;
  if (opts.recent > 0) {
    const recent = (await store.listEvents({ siteId: opts.siteId, limit: opts.recent })).reverse();
    for (const e of recent) opts.write(formatEvent(e));
    cursor = recent.at(-1)?.id ?? 0;
  } else {
    cursor = (await store.listEvents({ siteId: opts.siteId, limit: 1 }))[0]?.id ?? 0;
  }
  while (!opts.signal.aborted) {
    const batch = await store.listEvents({ siteId: opts.siteId, afterId: cursor, limit: 100 });
    for (const e of batch) {
      const unsettled = e.deliveries.some((d) => d.status === 'pending');
      // Keep order: an unsettled event holds back the ones after it, briefly.
      if (unsettled && now() - e.receivedAt < opts.settleMs) break;
      opts.write(formatEvent(e));
      cursor = e.id;
    }
    await sleep(opts.pollMs, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
