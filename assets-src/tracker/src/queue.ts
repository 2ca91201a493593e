/**
 * The persistent queue: every event is saved here before any request is made, and removed
 * only once the server has answered for it. Storage may be missing (privacy modes, sandboxed
 * frames), full, or not allowed yet (default-denied consent); then the queue lives in memory.
 *
 * Retention and overflow follow three tiers: conversions (purchase, lead, sign-ups: kept 30 days,
 * never dropped for space), funnel steps (7 days) and behavioural events (1 day); when the queue
 * is full the oldest behavioural events go first, then the oldest funnel steps.
 */
import { parse } from './lock';
import { debug, warn } from './log';
import type { BrowserEvent } from './types';

export const QUEUE_KEY = 'layersync:q';
/** Beyond this, lower tiers make room: a shop page should never hoard a visitor's storage. */
export const MAX_QUEUED = 100;

const CONVERSIONS = ['purchase', 'refund', 'lead', 'sign_up', 'subscribe', 'start_trial'];
const FUNNEL = ['add_to_cart', 'remove_from_cart', 'view_cart', 'begin_checkout', 'add_shipping_info', 'add_payment_info'];
/** Retention per tier, in days. */
export const RETENTION_DAYS = [30, 7, 1];

/** 0 conversion, 1 funnel, 2 behavioural (page views, product views, searches, custom events). */
export const tier = (name: string): number => (CONVERSIONS.includes(name) ? 0 : FUNNEL.includes(name) ? 1 : 2);

export interface EventQueue {
  read(): BrowserEvent[];
  add(event: BrowserEvent): void;
  remove(eventIds: readonly string[]): void;
  /** Rewrites every queued event (undefined drops it); used when consent is revoked. */
  map(fn: (e: BrowserEvent) => BrowserEvent | undefined): void;
  /** Allows or forbids storage: forbidding removes the stored copy and keeps the queue in memory. */
  persist(allowed: boolean): void;
}

/** Events still within their tier's retention. */
const fresh = (events: BrowserEvent[]): BrowserEvent[] =>
  events.filter((e) => e.event_time > Date.now() / 1000 - RETENTION_DAYS[tier(e.event_name)]! * 86400);

/** Applies retention and the size cap; conversions are never dropped for space. */
export function prune(events: BrowserEvent[]): BrowserEvent[] {
  let kept = fresh(events);
  for (let t = 2; t > 0 && kept.length > MAX_QUEUED; t--) {
    let excess = kept.length - MAX_QUEUED;
    const before = kept.length;
    kept = kept.filter((e) => !(tier(e.event_name) === t && excess-- > 0));
    warn(`the queue is full: dropped ${before - kept.length} unsent event(s), oldest first.`);
  }
  return kept;
}

export function createQueue(getStorage: () => Storage = () => localStorage, allowed = true): EventQueue {
  let memory: BrowserEvent[] = [];
  let useMemory = !allowed;

  const storage = (): Storage | undefined => {
    if (useMemory) return undefined;
    try {
      return getStorage();
    } catch (e) {
      if (__LAYERSYNC_DEBUG__) debug('localStorage unavailable, queueing in memory', e);
      useMemory = true;
      return undefined;
    }
  };

  const read = (): BrowserEvent[] => {
    const s = storage();
    if (s) {
      const list = parse<BrowserEvent[]>(s.getItem(QUEUE_KEY), []);
      return Array.isArray(list) ? fresh(list.filter((e) => e && typeof e.event_id === 'string')) : [];
    }
    return fresh(memory);
  };

  const write = (events: BrowserEvent[]): void => {
    const kept = prune(events);
    memory = kept;
    const s = storage();
    if (!s) return;
    // Over quota: conversions alone get a second try; still failing, the queue lives in memory.
    for (const list of [kept, kept.filter((x) => !tier(x.event_name))]) {
      try {
        if (list.length) s.setItem(QUEUE_KEY, JSON.stringify(list));
        else s.removeItem(QUEUE_KEY);
        return;
      } catch (e) {
        if (__LAYERSYNC_DEBUG__) debug('localStorage write failed', e);
      }
    }
    useMemory = true;
  };

  return {
    read,
    add: (event) => write([...read(), event]),
    remove: (ids) => write(read().filter((e) => !ids.includes(e.event_id))),
    map: (fn) => write(read().map(fn).filter((e): e is BrowserEvent => !!e)),
    persist: (ok) => {
      const events = read();
      const s = storage();
      if (!ok && s) s.removeItem(QUEUE_KEY);
      useMemory = !ok;
      // Storage may hold events another tab or an earlier page saved: keep both.
      if (ok && !s) write(read().filter((e) => !events.some((m) => m.event_id === e.event_id)).concat(events));
      else memory = events;
    },
  };
}
