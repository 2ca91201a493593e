/// <reference types="node" />
import { createHash } from 'node:crypto';
import { vi } from 'vitest';
import { install, type LayerSyncApi } from '../src/install';
import { QUEUE_KEY } from '../src/queue';
import type { BrowserEvent } from '../src/types';

export const ENDPOINT = '/wp-json/layersync/v1/events';

/** Expected hashes are computed independently of the code under test. */
export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export type FetchCall = { url: string; init: RequestInit; events: BrowserEvent[]; queueAtCall: string | null; at: number };

/** Answer for one request: a status and a JSON body (a function gets the sent events). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** Routes fetch through `reply`, recording each call and the stored queue at that moment. */
export function mockFetch(reply: (events: BrowserEvent[], n: number) => Reply = accepted) {
  const calls: FetchCall[] = [];
  const fn = vi.fn(async (url: string, init: RequestInit) => {
    const events = (JSON.parse(String(init.body)) as { events: BrowserEvent[] }).events;
    let queueAtCall: string | null = null;
    try {
      queueAtCall = localStorage.getItem(QUEUE_KEY);
    } catch {
      // storage blocked in this test
    }
    calls.push({ url, init, events, queueAtCall, at: Date.now() });
    const r = reply(events, calls.length);
    if (r instanceof Error) throw r;
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status, headers: r.headers });
  });
  vi.stubGlobal('fetch', fn);
  return { fn, calls };
}

/** The WordPress route's success answer. */
export function accepted(events: BrowserEvent[]): Reply {
  return {
    status: 202,
    body: { queued: events.length, results: events.map((e, index) => ({ index, event_id: e.event_id, status: 'accepted' })) },
  };
}

export function storedQueue(): BrowserEvent[] {
  return JSON.parse(localStorage.getItem(QUEUE_KEY) ?? '[]') as BrowserEvent[];
}

const listeners: Array<[EventTarget, string, EventListenerOrEventListenerObject]> = [];

/** Removes the page listeners of every tracker loaded so far: each test is a fresh page. */
export function unloadTrackers(): void {
  for (const [target, type, fn] of listeners.splice(0)) target.removeEventListener(type, fn);
}

/** A fresh page: empty globals, the given config and (optionally) stub calls made before load. */
export function loadTracker(opts: { config?: unknown; stubCalls?: Array<[string, unknown[]]>; keepStorage?: boolean } = {}): LayerSyncApi {
  if (!opts.keepStorage) {
    localStorage.clear();
    clearCookies();
  }
  // Automatic page views are tested on their own; elsewhere they would only add to every count.
  window.LayerSyncConfig = { page_view: false, ...((opts.config as object | undefined) ?? { endpoint: ENDPOINT }) };
  delete window.LayerSync;
  if (opts.stubCalls) {
    // The snippet the plugin prints (see README in install.ts), then calls made before load.
    window.LayerSync = window.LayerSync || { q: [] };
    window.LayerSync.track =
      window.LayerSync.track ||
      function (...args: unknown[]) {
        (window.LayerSync!.q as Array<[string, unknown[]]>).push(['track', args]);
      };
    for (const [method, args] of opts.stubCalls) (window.LayerSync[method] as (...a: unknown[]) => void)(...args);
  }
  for (const target of [window, document]) {
    const add = target.addEventListener.bind(target);
    vi.spyOn(target, 'addEventListener').mockImplementation((type: string, fn: EventListenerOrEventListenerObject | null, o?: unknown) => {
      if (!fn) return;
      listeners.push([target, type, fn]);
      add(type, fn, o as AddEventListenerOptions);
    });
  }
  const api = install(window);
  // The tracker's start-up work runs in tasks after the script's own (see install.ts).
  if (vi.isFakeTimers()) vi.advanceTimersByTime(0);
  vi.mocked(window.addEventListener).mockRestore();
  vi.mocked(document.addEventListener).mockRestore();
  return api;
}

/**
 * Tracker tests fake setTimeout and Date (backoff timers then never leak into the next test);
 * hashing resolves on real I/O turns, hence setImmediate.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

/**
 * Lets promise chains, hashing and due timers run. SubtleCrypto answers from a worker thread
 * (the first digest of a run can take a few milliseconds), so this spins on real time.
 */
export async function settle(): Promise<void> {
  const until = performance.now() + 25;
  do {
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(0);
  } while (performance.now() < until);
}

/**
 * `navigator.locks` as browsers implement its exclusive mode: requests for one name run one after
 * the other, in request order. `held` lists the names currently held.
 */
export function installWebLocks(): { held: string[] } {
  const tails = new Map<string, Promise<unknown>>();
  const held: string[] = [];
  const locks = {
    request(name: string, cb: (lock: { name: string }) => Promise<unknown>) {
      const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
        held.push(name);
        try {
          return await cb({ name });
        } finally {
          held.splice(held.indexOf(name), 1);
        }
      });
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
  Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
  return { held };
}

/** Expires every cookie the page can see. */
export function clearCookies(): void {
  for (const c of document.cookie.split(';')) {
    const name = c.split('=')[0]!.trim();
    if (name) document.cookie = `${name}=; path=/; max-age=-1`;
  }
}
