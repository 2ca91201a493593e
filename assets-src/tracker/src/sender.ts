/**
 * Drains the queue: one request in flight at a time across all tabs of the origin (lock.ts),
 * batches, exponential backoff with jitter after a retryable failure, and a last flush when the
 * page is hidden or left. Resends are idempotent: the event id is the dedup key everywhere.
 */
import { debug } from './log';
import { type Stamps, withLock } from './lock';
import type { EventQueue } from './queue';
import { KEEPALIVE_MAX_BYTES, beacon, byteLength, encodeBatch, send } from './transport';
import type { BrowserEvent } from './types';

export const MAX_BATCH_EVENTS = 25;
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 5 * 60 * 1000;
/** How long an event sent outside the lock (page exit) is left to that request before another tab may resend it. */
export const IN_FLIGHT_MS = 30000;

export interface Sender {
  /** Sends what is queued, unless a backoff is running (`force` ignores it). */
  flush(force?: boolean): Promise<void>;
  /** Hands everything not yet in flight to keepalive fetch or sendBeacon, synchronously. */
  flushOnHide(): void;
}

/** Full-jitter-ish delay: between half and all of min(max, base·2^attempt), or Retry-After if longer. */
export function backoffDelay(attempt: number, retryAfterMs = 0): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.max(retryAfterMs, ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Splits events into batches that fit both the event cap and the keepalive body budget. */
export function batches(events: readonly BrowserEvent[]): BrowserEvent[][] {
  const out: BrowserEvent[][] = [];
  let current: BrowserEvent[] = [];
  for (const event of events) {
    const next = [...current, event];
    if (current.length && (next.length > MAX_BATCH_EVENTS || byteLength(encodeBatch(next)) > KEEPALIVE_MAX_BYTES)) {
      out.push(current);
      current = [event];
    } else current = next;
  }
  if (current.length) out.push(current);
  return out;
}

export function createSender(win: Window, endpoint: string, queue: EventQueue, inFlight: Stamps): Sender {
  let busy = false;
  let attempt = 0;
  let retryAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const unsent = (): BrowserEvent[] => queue.read().filter((e) => !inFlight.has(e.event_id));
  const later = (delay: number): void => {
    // Whole milliseconds: timers round, and a timer firing a fraction early would find the backoff still running.
    delay = Math.ceil(delay);
    if (__LAYERSYNC_DEBUG__) debug(`sending again in ${delay} ms`);
    retryAt = Date.now() + delay;
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), delay);
  };

  /** One batch under the lock. Resolves true when more may be sent right away. */
  const sendOne = async (): Promise<boolean> => {
    // Read inside the lock: another tab may have sent (and removed) these events meanwhile.
    const batch = batches(unsent())[0];
    if (!batch) return false;
    const ids = batch.map((e) => e.event_id);
    // Stamped so that a tab leaving meanwhile does not put the same events in its exit flush.
    inFlight.add(ids, IN_FLIGHT_MS);
    const result = await send(endpoint, batch);
    if ('done' in result) queue.remove(result.done);
    inFlight.remove(ids);
    // A failed request, or an answer that left some events unsettled: try again later, not now.
    if ('retry' in result || result.done.length < batch.length) {
      later(backoffDelay(attempt++, 'retry' in result ? result.retryAfterMs : undefined));
      return false;
    }
    if (__LAYERSYNC_DEBUG__) debug(`sent ${ids.length} event(s)`);
    attempt = 0;
    retryAt = 0;
    return true;
  };

  const flush = async (force = false): Promise<void> => {
    if (!endpoint || busy || (!force && Date.now() < retryAt)) return;
    // Offline: the 'online' event brings us back; no point burning backoff steps.
    if (win.navigator.onLine === false) return;
    if (!unsent().length) {
      // Queued but in flight from a page that may be gone: look again when its stamp has expired
      // (nothing unsent, so no backoff timer is lost).
      if (queue.read().length) {
        clearTimeout(timer);
        timer = setTimeout(flush, IN_FLIGHT_MS);
      }
      return;
    }
    busy = true;
    let more = false;
    const ran = await withLock(win, async () => {
      more = await sendOne();
    }).catch(() => false);
    busy = false;
    if (!ran) later(500 + Math.random() * 1000); // another tab holds the lease: it sends the shared queue
    else if (more) await flush(); // queued meanwhile, or left behind by the batch cap
  };

  const flushOnHide = (): void => {
    // Offline, a request fails at once: stamping the events "in flight" would only hold them 30 s.
    if (!endpoint || win.navigator.onLine === false) return;
    const keepalive = typeof fetch === 'function' && typeof Request !== 'undefined' && 'keepalive' in Request.prototype;
    for (const batch of batches(unsent())) {
      const ids = batch.map((e) => e.event_id);
      // Outside the lock (the page is going away): stamp the ids so other tabs leave them alone.
      inFlight.add(ids, IN_FLIGHT_MS);
      if (keepalive) {
        // If the page survives (tab switch), the answer is handled like any other send.
        void send(endpoint, batch).then((result) => {
          if ('done' in result) queue.remove(result.done);
          inFlight.remove(ids);
        });
      } else if (!beacon(endpoint, batch)) {
        inFlight.remove(ids);
      }
      // A beacon's answer is never seen: its events stay queued and are sent again after
      // IN_FLIGHT_MS, by this page or the next, where the event id makes the copy a duplicate.
    }
  };

  return { flush, flushOnHide };
}
