/**
 * One POST of a batch to the WordPress events route, and what to do with each event after it.
 * Response (docs/CONTRACT.md, "Browser → WordPress"):
 * `202 {"queued":n,"results":[{"index","event_id","status","reason"}]}`.
 */
import { warn } from './log';
import type { BrowserEvent } from './types';

/** Keepalive requests share a 64 KiB body budget per page; larger bodies go without keepalive. */
export const KEEPALIVE_MAX_BYTES = 60000;
/** Per-event statuses after which the server holds (or refused for good) the event. */
const FINAL_STATUSES = ['accepted', 'duplicate', 'queued', 'rejected'];

export type SendResult =
  /** The server answered for these events; remove them from the queue. */
  | { done: string[] }
  /** Nothing was delivered for sure (network error, 408, 429, 5xx): keep everything and back off. */
  | { retry: true; retryAfterMs?: number | undefined };

interface ResultRow {
  index?: number;
  event_id?: string;
  status?: string;
  reason?: string;
}

export function encodeBatch(events: readonly BrowserEvent[]): string {
  return JSON.stringify({ events });
}

/** UTF-8 length (TextEncoder: pure computation, where a Blob would be a round trip to the browser). */
export const byteLength = (s: string): number => new TextEncoder().encode(s).length;

/**
 * Reads per-event results. With a 2xx and no results, the server took the whole batch. An event
 * missing from a results list, or with a status we do not know, stays queued: sending it again
 * is safe because the event id is the dedup key.
 */
export function settle(events: readonly BrowserEvent[], status: number, body: unknown): string[] {
  const results = body && typeof body === 'object' ? (body as { results?: unknown }).results : undefined;
  if (!Array.isArray(results)) {
    if (status >= 300) {
      const message = body && typeof body === 'object' ? (body as { message?: unknown }).message : undefined;
      warn(`events route: ${status} ${message || ''}; ${events.length} event(s) dropped.`);
    }
    return events.map((e) => e.event_id);
  }
  const done: string[] = [];
  for (const row of results as ResultRow[]) {
    const event = typeof row.event_id === 'string' ? events.find((e) => e.event_id === row.event_id) : events[row.index ?? -1];
    if (!event || !FINAL_STATUSES.includes(String(row.status))) continue;
    if (row.status === 'rejected') warn(`event ${event.event_id} (${event.event_name}) rejected: ${row.reason}`);
    done.push(event.event_id);
  }
  return done;
}

function retryAfterMs(res: Response): number | undefined {
  const seconds = Number(res.headers.get('Retry-After'));
  return seconds > 0 ? seconds * 1000 : undefined;
}

/** POSTs one batch with fetch and classifies the answer. Never throws. */
export async function send(endpoint: string, events: readonly BrowserEvent[]): Promise<SendResult> {
  const body = encodeBatch(events);
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      keepalive: byteLength(body) <= KEEPALIVE_MAX_BYTES,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
  } catch {
    return { retry: true };
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) return { retry: true, retryAfterMs: retryAfterMs(res) };
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  return { done: settle(events, res.status, json) };
}

/** Last-resort delivery while the page goes away; the answer is never seen. */
export function beacon(endpoint: string, events: readonly BrowserEvent[]): boolean {
  try {
    return navigator.sendBeacon(endpoint, new Blob([encodeBatch(events)], { type: 'application/json' }));
  } catch {
    return false;
  }
}
