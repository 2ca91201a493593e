/**
 * The persistent queue: every event is saved here before any request is made, and removed
 * only once the server has answered for it. Storage may be missing (privacy modes, sandboxed
 * frames) or full; then the queue lives in memory for the rest of the page.
 */
import { debug, warn } from './log';
import type { BrowserEvent } from './types';

export const QUEUE_KEY = 'layersync:q';
/** Oldest events go first beyond this: a shop page should never hoard a visitor's storage. */
export const MAX_QUEUED = 100;
/** Older events are past every platform's window (Meta accepts 7 days). */
export const MAX_AGE_SECONDS = 7 * 86400;

export interface EventQueue {
  read(): BrowserEvent[];
  add(event: BrowserEvent): void;
  remove(eventIds: readonly string[]): void;
}

export function createQueue(getStorage: () => Storage = () => localStorage): EventQueue {
  let memory: BrowserEvent[] = [];
  let useMemory = false;

  const read = (): BrowserEvent[] => {
    if (!useMemory) {
      try {
        const raw = getStorage().getItem(QUEUE_KEY);
        let list: unknown;
        try {
          list = raw ? JSON.parse(raw) : [];
        } catch {
          list = []; // corrupted by someone else: start over rather than never sending again
        }
        return Array.isArray(list) ? list.filter((e) => e && typeof e.event_id === 'string') : [];
      } catch (e) {
        if (__LAYERSYNC_DEBUG__) debug('localStorage unavailable, queueing in memory', e);
        useMemory = true;
      }
    }
    return memory.slice();
  };

  const write = (events: BrowserEvent[]): void => {
    const oldest = Date.now() / 1000 - MAX_AGE_SECONDS;
    const fresh = events.filter((e) => e.event_time > oldest);
    if (fresh.length > MAX_QUEUED) warn(`the queue is full: dropped ${fresh.length - MAX_QUEUED} unsent event(s), oldest first.`);
    const kept = fresh.slice(-MAX_QUEUED);
    memory = kept;
    if (useMemory) return;
    try {
      if (kept.length) getStorage().setItem(QUEUE_KEY, JSON.stringify(kept));
      else getStorage().removeItem(QUEUE_KEY);
    } catch (e) {
      if (__LAYERSYNC_DEBUG__) debug('localStorage write failed, queueing in memory', e);
      useMemory = true;
    }
  };

  return {
    read,
    add: (event) => write([...read(), event]),
    remove: (ids) => write(read().filter((e) => !ids.includes(e.event_id))),
  };
}
