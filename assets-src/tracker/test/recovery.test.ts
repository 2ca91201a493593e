/**
 * The recovery engine: retention tiers, priority-aware overflow, cross-tab serialized sending
 * (Web Locks and the localStorage lease fallback), offline waiting and idempotent resends.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEASE_KEY, LEASE_MS, createStamps, withLock } from '../src/lock';
import { MAX_QUEUED, QUEUE_KEY, RETENTION_DAYS, createQueue, prune, tier } from '../src/queue';
import { IN_FLIGHT_MS, createSender } from '../src/sender';
import type { BrowserEvent } from '../src/types';
import { uuidv7 } from '../src/uuid';
import { ENDPOINT, installWebLocks, loadTracker, mockFetch, settle, storedQueue, unloadTrackers, useFakeClock } from './helpers';

const now = () => Math.floor(Date.now() / 1000);
const ev = (event_name: string, ageSeconds = 0): BrowserEvent =>
  ({ event_id: uuidv7(), event_name, event_time: now() - ageSeconds, context: {}, identity: {} }) as BrowserEvent;

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  useFakeClock();
  localStorage.clear();
});
afterEach(() => {
  unloadTrackers();
  vi.useRealTimers();
  installWebLocks();
});

describe('retention tiers', () => {
  it('keeps conversions 30 days, funnel steps 7 days, behavioural events 1 day', () => {
    expect([tier('purchase'), tier('lead'), tier('sign_up'), tier('add_to_cart'), tier('begin_checkout'), tier('page_view'), tier('custom:x')]).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(RETENTION_DAYS).toEqual([30, 7, 1]);
    const d = 86400;
    const events = [ev('lead', 29 * d), ev('lead', 31 * d), ev('add_to_cart', 6 * d), ev('add_to_cart', 8 * d), ev('page_view', d - 60), ev('page_view', d + 60)];
    expect(prune(events).map((e) => e.event_time)).toEqual([events[0], events[2], events[4]].map((e) => e!.event_time));
  });

  it('drops expired events from the stored queue on the next page, days later (fake clock)', async () => {
    mockFetch(() => new TypeError('offline'));
    const api = loadTracker();
    const lead = await api.track('lead');
    await api.track('page_view');
    await api.track('view_cart');
    await settle();
    vi.setSystemTime(Date.now() + 3 * 86400_000);
    const { calls } = mockFetch();
    loadTracker({ keepStorage: true });
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => e.event_name))).toEqual(['lead', 'view_cart']);
    expect(calls[0]!.events[0]!.event_id).toBe(lead);
  });
});

describe('priority-aware overflow', () => {
  it('never drops conversions; the oldest behavioural events go first, then the oldest funnel steps', () => {
    const conversions = Array.from({ length: 60 }, () => ev('purchase'));
    const funnel = Array.from({ length: 30 }, () => ev('add_to_cart'));
    const behavioural = Array.from({ length: 30 }, () => ev('page_view'));
    const kept = prune([behavioural[0]!, ...conversions.slice(0, 30), ...funnel, ...behavioural.slice(1), ...conversions.slice(30)]);
    expect(kept).toHaveLength(MAX_QUEUED);
    expect(kept.filter((e) => e.event_name === 'purchase')).toHaveLength(60);
    expect(kept.filter((e) => e.event_name === 'add_to_cart')).toHaveLength(30);
    expect(kept.filter((e) => e.event_name === 'page_view').map((e) => e.event_id)).toEqual(behavioural.slice(20).map((e) => e.event_id));
    const more = prune([...kept, ...Array.from({ length: 15 }, () => ev('lead'))]);
    expect(more.filter((e) => e.event_name === 'page_view')).toHaveLength(0);
    expect(more.filter((e) => e.event_name === 'add_to_cart').map((e) => e.event_id)).toEqual(funnel.slice(5).map((e) => e.event_id));
    // Only conversions left and still too many: all are kept.
    expect(prune(Array.from({ length: MAX_QUEUED + 5 }, () => ev('lead')))).toHaveLength(MAX_QUEUED + 5);
  });

  it('when storage is over quota, keeps the conversions stored', () => {
    const q = createQueue(() => localStorage);
    const real = localStorage.setItem.bind(localStorage);
    vi.spyOn(localStorage, 'setItem').mockImplementation((k: string, v: string) => {
      if (v.includes('page_view')) throw new DOMException('full', 'QuotaExceededError');
      real(k, v);
    });
    const lead = ev('lead');
    q.add(lead);
    q.add(ev('page_view'));
    expect(JSON.parse(localStorage.getItem(QUEUE_KEY)!).map((e: BrowserEvent) => e.event_id)).toEqual([lead.event_id]);
  });
});

/** Two tabs of one origin: separate senders over the same localStorage queue. */
function twoTabs() {
  const queueA = createQueue(() => localStorage);
  const queueB = createQueue(() => localStorage);
  const stamps = () => createStamps('layersync:f', () => localStorage);
  return {
    queueA,
    a: createSender(window, ENDPOINT, queueA, stamps()),
    b: createSender(window, ENDPOINT, queueB, stamps()),
  };
}

describe('cross-tab sending', () => {
  const sentIds = (calls: Array<{ events: BrowserEvent[] }>) => calls.flatMap((c) => c.events.map((e) => e.event_id));

  it('with Web Locks, two tabs flushing at once send each event exactly once', async () => {
    const { calls } = mockFetch();
    const { queueA, a, b } = twoTabs();
    const events = Array.from({ length: 30 }, () => ev('lead'));
    for (const e of events) queueA.add(e);
    await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
    await settle();
    expect(sentIds(calls).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect(new Set(sentIds(calls)).size).toBe(events.length);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('a tab leaving while another sends does not put the in-flight events in its exit flush', async () => {
    let answer: (r: Response) => void = () => {};
    const fetchMock = vi.fn((_url: string, init: RequestInit) => {
      const events = JSON.parse(String(init.body)).events as BrowserEvent[];
      if (fetchMock.mock.calls.length === 1) return new Promise<Response>((r) => (answer = r));
      return Promise.resolve(new Response(JSON.stringify({ results: events.map((e) => ({ event_id: e.event_id, status: 'accepted' })) }), { status: 202 }));
    });
    vi.stubGlobal('fetch', fetchMock);
    vi.stubGlobal('Request', Object.assign(function Request() {}, { prototype: { keepalive: true } }));
    const { queueA, a, b } = twoTabs();
    const first = ev('lead');
    queueA.add(first);
    const sending = a.flush(); // tab A holds the lock, its request is open
    await settle();
    const second = ev('lead');
    queueA.add(second);
    b.flushOnHide(); // tab B is closed meanwhile
    await settle();
    answer(new Response(JSON.stringify({ results: [{ event_id: first.event_id, status: 'accepted' }] }), { status: 202 }));
    await sending;
    await settle();
    const bodies = fetchMock.mock.calls.map((c) => (JSON.parse(String(c[1].body)).events as BrowserEvent[]).map((e) => e.event_id));
    expect(bodies).toEqual([[first.event_id], [second.event_id]]);
  });

  it('a tab reading a stale copy of storage never brings back a stamp another tab removed', () => {
    // Chromium hands one tab's localStorage writes to other tabs' processes asynchronously: tab A
    // may still see tab B's in-flight stamp after B removed it. A's own write must not revive it.
    const snapshot = new Map<string, string | null>();
    const keys = () => [...new Set([...snapshot.keys(), ...Object.keys(localStorage)])];
    const methods = {
      getItem: (k: string) => (snapshot.has(k) ? snapshot.get(k)! : localStorage.getItem(k)),
      setItem: (k: string, v: string) => localStorage.setItem(k, v),
      removeItem: (k: string) => localStorage.removeItem(k),
    };
    const stale = new Proxy(methods, {
      ownKeys: () => keys(),
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
    }) as unknown as Storage;
    const b = createStamps('layersync:f', () => localStorage, 'tab-b');
    const a = createStamps('layersync:f', () => stale, 'tab-a');
    b.add(['x'], 30000);
    for (let i = 0; i < localStorage.length; i++) snapshot.set(localStorage.key(i)!, localStorage.getItem(localStorage.key(i)!));
    b.remove(['x']); // B's request was answered
    expect(a.has('x')).toBe(true); // A has not heard yet…
    a.add(['y'], 30000); // …and stamps its own batch meanwhile
    snapshot.clear(); // the write reaches A
    expect(a.has('x')).toBe(false);
    expect(b.has('x')).toBe(false);
    expect(b.has('y')).toBe(true);
  });

  it('events held "in flight" by a page that is gone are sent once the stamp expires, with no new event to wake the queue', async () => {
    const { calls } = mockFetch();
    const queue = createQueue(() => localStorage);
    const lead = ev('lead');
    queue.add(lead);
    // The page that sent it left before reading the answer: its stamp outlives it.
    createStamps('layersync:f', () => localStorage, 'tab-gone').add([lead.event_id], IN_FLIGHT_MS);
    const sender = createSender(window, ENDPOINT, queue, createStamps('layersync:f', () => localStorage));
    await sender.flush();
    await settle();
    expect(calls).toEqual([]); // not while the other page may still be sending it
    await vi.advanceTimersByTimeAsync(IN_FLIGHT_MS + 10);
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => e.event_id))).toEqual([lead.event_id]);
    expect(queue.read()).toEqual([]);
  });

  it('leaving the page while offline stamps nothing "in flight" (the next page may send at once)', () => {
    const { calls } = mockFetch();
    vi.stubGlobal('Request', Object.assign(function Request() {}, { prototype: { keepalive: true } }));
    const queue = createQueue(() => localStorage);
    queue.add(ev('lead'));
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    try {
      createSender(window, ENDPOINT, queue, createStamps('layersync:f', () => localStorage)).flushOnHide();
    } finally {
      Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    }
    expect(calls).toEqual([]);
    expect(Object.keys(localStorage).filter((k) => k.startsWith('layersync:f'))).toEqual([]);
  });

  it('without Web Locks, the localStorage lease lets one tab send while the other waits', async () => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
    const { calls } = mockFetch();
    const { queueA, a, b } = twoTabs();
    const events = Array.from({ length: 5 }, () => ev('lead'));
    for (const e of events) queueA.add(e);
    const both = Promise.all([a.flush(), b.flush()]);
    await vi.advanceTimersByTimeAsync(60); // the lease settles (LEASE_SETTLE_MS)
    await both;
    await settle();
    await vi.advanceTimersByTimeAsync(2000); // the tab that lost retries later: nothing left
    await settle();
    expect(sentIds(calls).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect(new Set(sentIds(calls)).size).toBe(events.length);
    expect(localStorage.getItem(LEASE_KEY)).toBeNull(); // released after the send
  });

  it('the lease: a live holder blocks, an expired one (a crashed tab) does not', async () => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
    localStorage.setItem(LEASE_KEY, JSON.stringify({ id: 'other-tab', exp: Date.now() + LEASE_MS }));
    const fn = vi.fn(async () => {});
    expect(await withLock(window, fn)).toBe(false);
    expect(fn).not.toHaveBeenCalled();
    vi.setSystemTime(Date.now() + LEASE_MS + 1);
    const run = withLock(window, fn);
    await vi.advanceTimersByTimeAsync(60);
    expect(await run).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('of two tabs writing the lease at the same moment, only the last writer proceeds', async () => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
    const fn = vi.fn(async () => {});
    const first = withLock(window, fn);
    localStorage.setItem(LEASE_KEY, JSON.stringify({ id: 'other-tab', exp: Date.now() + LEASE_MS })); // written meanwhile
    await vi.advanceTimersByTimeAsync(60);
    expect(await first).toBe(false);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('offline and resends', () => {
  it('waits while offline and sends when the browser comes back online', async () => {
    const { calls } = mockFetch();
    Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
    const api = loadTracker();
    const id = await api.track('lead');
    await settle();
    expect(calls).toHaveLength(0);
    expect(storedQueue().map((e) => e.event_id)).toEqual([id]);
    Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => e.event_id))).toEqual([id]);
  });

  it('resends with the same event id, so a lost answer makes a duplicate the server drops, not a second event', async () => {
    const { calls } = mockFetch((events, n) => (n === 1 ? new TypeError('connection reset') : { status: 202, body: { results: events.map((e) => ({ event_id: e.event_id, status: 'duplicate' })) } }));
    const api = loadTracker();
    await api.track('lead');
    await settle();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.events[0]!.event_id).toBe(calls[0]!.events[0]!.event_id);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });
});
