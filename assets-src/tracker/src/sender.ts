/**
 * Drains the queue: one request in flight at a time per tab, exponential backoff with jitter
 * after a retryable failure, and a last flush when the page is hidden or left.
 */
import { debug } from './log';
import type { EventQueue } from './queue';
import { KEEPALIVE_MAX_BYTES, beacon, byteLength, encodeBatch, send } from './transport';
import type { BrowserEvent } from './types';

export const MAX_BATCH_EVENTS = 25;
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 5 * 60 * 1000;

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

export function createSender(endpoint: string, queue: EventQueue): Sender {
  const inFlight = new Set<string>();
  let busy = false;
  let attempt = 0;
  let retryAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const unsent = (): BrowserEvent[] => queue.read().filter((e) => !inFlight.has(e.event_id));
  const claim = (events: BrowserEvent[]): void => events.forEach((e) => inFlight.add(e.event_id));
  const release = (events: BrowserEvent[]): void => events.forEach((e) => inFlight.delete(e.event_id));

  const flush = async (force = false): Promise<void> => {
    if (!endpoint) return;
    if (busy) return; // the running send continues with whatever was queued meanwhile
    if (!force && Date.now() < retryAt) return;
    const batch = batches(unsent())[0];
    if (!batch) return;
    busy = true;
    claim(batch);
    const result = await send(endpoint, batch);
    release(batch);
    busy = false;
    if ('done' in result) queue.remove(result.done);
    // A failed request, or an answer that left some events unsettled: try again later, not now.
    if ('retry' in result || result.done.length < batch.length) {
      const delay = backoffDelay(attempt++, 'retry' in result ? result.retryAfterMs : undefined);
      if (__LAYERSYNC_DEBUG__) debug(`retrying in ${Math.round(delay)} ms`);
      retryAt = Date.now() + delay;
      clearTimeout(timer);
      timer = setTimeout(() => void flush(), delay);
      return;
    }
    if (__LAYERSYNC_DEBUG__) debug(`sent ${batch.length} event(s)`);
    attempt = 0;
    retryAt = 0;
    // More may have been queued meanwhile, or the batch cap left some behind.
    if (unsent().length) await flush();
  };

  const flushOnHide = (): void => {
    if (!endpoint) return;
    const keepalive = typeof fetch === 'function' && typeof Request !== 'undefined' && 'keepalive' in Request.prototype;
    for (const batch of batches(unsent())) {
      claim(batch);
      if (keepalive) {
        // If the page survives (tab switch), the answer is handled like any other send.
        void send(endpoint, batch).then((result) => {
          release(batch);
          if ('done' in result) queue.remove(result.done);
        });
      } else if (!beacon(endpoint, batch)) {
        release(batch);
      }
      // A beacon's answer is never seen: its events stay queued and are sent again on the next
      // page, where the event id makes the copy a harmless duplicate.
    }
  };

  return { flush, flushOnHide };
}
