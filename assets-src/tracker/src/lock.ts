/**
 * Cross-tab coordination so two tabs never send the same event: sends run one at a time across
 * the origin under a Web Lock (`navigator.locks.request`), or, where Web Locks are missing, under
 * a lease in localStorage (written, then read back after a pause so that of two tabs writing at
 * once only the last writer proceeds). Stamps mark event ids with an expiry in localStorage:
 * "in flight" for sends outside the lock (page exit), "fired" for server-first pixel events.
 */
import { uuidv7 } from './uuid';

export const LOCK_NAME = 'layersync:send';
export const LEASE_KEY = 'layersync:lease';
/** A tab that died while holding the lease blocks the others this long at most. */
export const LEASE_MS = 10000;
/** Pause between writing the lease and checking it is still ours. */
export const LEASE_SETTLE_MS = 50;

/** JSON from storage, or the fallback when absent or corrupted (by someone else: start over). */
export const parse = <T>(s: string | null | undefined, fallback: T): T => {
  try {
    return (s && (JSON.parse(s) as T)) || fallback;
  } catch {
    return fallback;
  }
};

/**
 * Runs `fn` while holding the origin-wide send lock. Resolves false without running it when the
 * lease fallback is held by another tab (that tab sends the shared queue; retry later).
 */
export async function withLock(win: Window, fn: () => Promise<void>): Promise<boolean> {
  const locks = win.navigator.locks;
  if (locks && locks.request) return locks.request(LOCK_NAME, fn).then(() => true);
  let s: Storage;
  try {
    s = win.localStorage;
    const h = parse<{ id?: string; exp?: number }>(s.getItem(LEASE_KEY), {});
    if (h.id && h.id !== tabId && h.exp! > Date.now()) return false;
    s.setItem(LEASE_KEY, JSON.stringify({ id: tabId, exp: Date.now() + LEASE_MS }));
  } catch {
    await fn(); // no shared storage: no shared queue to protect
    return true;
  }
  const mine = (): boolean => parse<{ id?: string }>(s.getItem(LEASE_KEY), {}).id === tabId;
  await new Promise((r) => setTimeout(r, LEASE_SETTLE_MS));
  if (!mine()) return false;
  try {
    await fn();
  } finally {
    if (mine()) s.removeItem(LEASE_KEY);
  }
  return true;
}

/** This page's id for the lease. */
export const tabId = uuidv7();

export interface Stamps {
  /** Ids stamped and not yet expired. */
  has(id: string): boolean;
  add(ids: readonly string[], ms: number): void;
  remove(ids: readonly string[]): void;
}

/**
 * Event ids with an expiry, in localStorage (in memory where storage is not allowed or missing).
 * Each tab writes only its own key (`<key>:<tabId>`) and reads all of them: Chromium propagates
 * a localStorage write to other tabs' processes asynchronously, so a shared read-modify-write
 * map could bring back a stamp another tab had just removed (and hold its event for the expiry).
 */
export function createStamps(key: string, storage: () => Storage | undefined, tab = tabId): Stamps {
  const own = `${key}:${tab}`;
  const mine: Record<string, number> = {};
  const save = (): void => {
    try {
      const s = storage()!;
      if (Object.keys(mine).length) s.setItem(own, JSON.stringify(mine));
      else s.removeItem(own);
    } catch {
      // memory it is
    }
  };
  return {
    has: (id) => {
      const now = Date.now();
      let found = mine[id]! > now;
      try {
        const s = storage()!;
        for (const k of Object.keys(s)) {
          if (!k.startsWith(key + ':')) continue;
          const m = parse<Record<string, number>>(s.getItem(k), {});
          if (m[id]! > now) found = true;
          // Left by a page long gone (an unanswered beacon): nothing in it counts any more.
          if (Math.max(0, ...Object.values(m)) <= now) s.removeItem(k);
        }
      } catch {
        // this tab's own stamps only
      }
      return found;
    },
    add: (ids, ms) => {
      for (const id in mine) if (mine[id]! <= Date.now()) delete mine[id];
      for (const id of ids) mine[id] = Date.now() + ms;
      save();
    },
    remove: (ids) => {
      for (const id of ids) delete mine[id];
      save();
    },
  };
}
