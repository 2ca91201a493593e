import { type MockInstance, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_EVENTS } from '../src/sender';
import { MAX_QUEUED, QUEUE_KEY } from '../src/queue';
import { ENDPOINT, accepted, loadTracker, mockFetch, settle, sha256, storedQueue, unloadTrackers, useFakeClock } from './helpers';

const PII = {
  email: ' Jane.Doe@Example.com ',
  phone: '+1 (650) 555-1212',
  first_name: 'Jane',
  last_name: 'Doe',
  city: 'Springfield',
  state: 'IL',
  zip: '62704',
  country: 'US',
  external_id: 'cust-981',
};
const RAW_FRAGMENTS = ['jane', 'doe', 'example.com', '650', '555', '1212', 'springfield', '62704', 'cust-981'];

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  useFakeClock();
});
afterEach(() => {
  unloadTrackers();
  vi.useRealTimers();
});

describe('stub queue', () => {
  it('replays calls made before load in order, then replaces the stub', async () => {
    const { calls } = mockFetch();
    const api = loadTracker({
      stubCalls: [
        ['track', ['page_view']],
        ['track', ['view_item', { email: 'a@b.co', items: [{ id: 'sku-1' }] }]], // hashing makes this one slower
        ['track', ['custom:newsletter_open', { source: 'footer' }]],
      ],
    });
    expect(window.LayerSync!.track).toBe(api.track);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.events.map((e) => e.event_name)).toEqual(['page_view', 'view_item', 'custom:newsletter_open']);
    const ids = calls[0]!.events.map((e) => e.event_id);
    expect([...ids].sort()).toEqual(ids); // UUIDv7 order follows call order
  });

  it('runs calls pushed later through a stub reference captured before load', async () => {
    const { calls } = mockFetch();
    loadTracker({ stubCalls: [] });
    (window.LayerSync!.q as { push(c: [string, unknown[]]): void }).push(['track', ['lead']]);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => e.event_name))).toEqual(['lead']);
  });

  it('dispatches layersync:ready with the API', () => {
    mockFetch();
    const seen: unknown[] = [];
    window.addEventListener('layersync:ready', (e) => seen.push((e as CustomEvent).detail), { once: true });
    const api = loadTracker();
    expect(seen).toEqual([api]);
  });

  it('does nothing when loaded twice', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    window.LayerSync!.version = api.version;
    await api.track('page_view');
    await settle();
    const { install } = await import('../src/install');
    expect(install(window).track).toBe(api.track);
    expect(calls).toHaveLength(1);
  });
});

describe('track()', () => {
  it('resolves to a UUIDv7 and builds the canonical browser event', async () => {
    const { calls } = mockFetch();
    document.cookie = '';
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied' } } });
    const before = Math.floor(Date.now() / 1000);
    const id = await api.track('add_to_cart', {
      email: 'jane@example.com',
      value: '19.90',
      currency: 'eur',
      items: [{ item_id: 'SKU-1', item_name: 'Blue mug', price: 19.9, quantity: 1 }],
      list: 'related',
      position: 3,
      nested: { no: 'objects' },
    });
    await settle();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const event = calls[0]!.events[0]!;
    expect(event).toEqual({
      event_id: id,
      event_name: 'add_to_cart',
      event_time: expect.any(Number),
      context: { url: 'https://shop.example/product/blue-mug?ref=ad', locale: navigator.language },
      // ad_storage granted: a Meta browser id is created (ids.test.ts covers the rules).
      identity: { em: sha256('jane@example.com'), em_google: sha256('jane@example.com'), em_reddit: sha256('jane@example.com'), fbp: expect.stringMatching(/^fb\.1\.\d{13}\.\d+$/) },
      commerce: { value: 19.9, currency: 'EUR', items: [{ id: 'SKU-1', name: 'Blue mug', price: 19.9, quantity: 1 }] },
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false },
      properties: { list: 'related', position: 3 },
    });
    expect(event.event_time).toBeGreaterThanOrEqual(before);
    expect(event.event_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(warn).toHaveBeenCalledWith('[LayerSync]', expect.stringContaining('"nested"'));
    expect(calls[0]!.url).toBe(ENDPOINT);
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(event).not.toHaveProperty('source');
  });

  it('warns and resolves undefined for a name outside the taxonomy', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    expect(await api.track('AddToCart')).toBeUndefined();
    expect(await api.track('custom:has space')).toBeUndefined();
    expect(await api.track('custom:ok_name')).toMatch(/^[0-9a-f-]{36}$/);
    await settle();
    expect(warn.mock.calls.filter((c) => String(c[1]).includes('is not an event name'))).toHaveLength(2);
    expect(calls.flatMap((c) => c.events.map((e) => e.event_name))).toEqual(['custom:ok_name']);
  });

  it('keeps a valid caller-supplied event_id (browser and server halves share it)', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    expect(await api.track('lead', { event_id: 'form-7:entry-123' })).toBe('form-7:entry-123');
    await settle();
    expect(calls[0]!.events[0]!.event_id).toBe('form-7:entry-123');
  });

  it('does not send purchase or refund: the server records them (the pixels get them, see pixels.test.ts)', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    expect(await api.track('purchase', { value: 10, currency: 'EUR' })).toMatch(/^[0-9a-f-]{36}$/);
    expect(await api.track('refund', { value: 10, currency: 'EUR' })).toMatch(/^[0-9a-f-]{36}$/);
    await settle();
    expect(calls).toHaveLength(0);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('fills the store currency and drops a value that has none', async () => {
    const { calls } = mockFetch();
    let api = loadTracker({ config: { endpoint: ENDPOINT, currency: 'usd' } });
    await api.track('view_item', { value: 5 });
    await settle();
    expect(calls[0]!.events[0]!.commerce).toEqual({ value: 5, currency: 'USD' });
    api = loadTracker();
    await api.track('view_item', { value: 5, order_id: 77 });
    await settle();
    expect(calls[1]!.events[0]!.commerce).toEqual({ order_id: '77' });
  });

  it('attaches a complete consent snapshot to every event: a signal nobody set counts as denied', async () => {
    const { calls } = mockFetch();
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: { ad_storage: 'granted' } } });
    await api.track('page_view');
    api.setConsent({ analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied', do_not_sell: true });
    await api.track('page_view');
    await settle();
    const [first, second] = calls.flatMap((c) => c.events);
    expect(first!.consent).toEqual({ ad_storage: 'granted', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false });
    expect(second!.consent).toEqual({ ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied', do_not_sell: true });
    expect(api.getConsent()).toEqual(second!.consent);
  });
});

describe('raw PII', () => {
  it('is hashed before it is queued and never reaches storage or the request body', async () => {
    let stored = '';
    const { calls } = mockFetch(() => {
      stored = localStorage.getItem(QUEUE_KEY) ?? '';
      return new Error('offline'); // keep the event queued so storage can be inspected afterwards too
    });
    const api = loadTracker();
    await api.track('sign_up', { ...PII, plan: 'pro' });
    await settle();
    const body = String(calls[0]!.init.body);
    const after = localStorage.getItem(QUEUE_KEY) ?? '';
    for (const text of [stored, body, after]) {
      expect(text).toContain(sha256('jane.doe@example.com'));
      // Hex digests and event ids may contain "555" by chance: look at everything else.
      const rest = text.replace(/[0-9a-f]{64}|[0-9a-f]{8}-[0-9a-f-]{27}/g, '');
      for (const raw of RAW_FRAGMENTS) expect(rest.toLowerCase()).not.toContain(raw);
      expect(text).not.toMatch(/"(email|phone|first_name|last_name|city|state|zip)"/);
    }
    expect(JSON.parse(after)[0].identity).toEqual({
      em: sha256('jane.doe@example.com'),
      em_google: sha256('jane.doe@example.com'),
      em_reddit: sha256('janedoe@example.com'),
      ph: sha256('16505551212'),
      ph_e164: sha256('+16505551212'),
      fn: sha256('jane'),
      ln: sha256('doe'),
      ct: sha256('springfield'),
      st: sha256('il'),
      zp: sha256('62704'),
      country: sha256('us'),
      external_id: sha256('cust-981'),
    });
    expect(JSON.parse(after)[0].properties).toEqual({ plan: 'pro' });
  });

  it('does not modify the caller’s object', async () => {
    mockFetch();
    const api = loadTracker();
    const props = { ...PII };
    await api.track('lead', props);
    expect(props).toEqual(PII);
  });
});

describe('queue and delivery', () => {
  it('saves the event before fetch is called', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    const id = await api.track('lead');
    await settle();
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.queueAtCall!).map((e: { event_id: string }) => e.event_id)).toEqual([id]);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull(); // removed after the 202
  });

  it('keeps the event on 500 and removes it once a retry succeeds', async () => {
    const { calls } = mockFetch((events, n) => (n === 1 ? { status: 500, body: { message: 'db down' } } : accepted(events)));
    const api = loadTracker();
    const id = await api.track('lead');
    await settle();
    expect(calls).toHaveLength(1);
    expect(storedQueue().map((e) => e.event_id)).toEqual([id]);
    // Backoff: nothing is sent before it expires, even when new events arrive.
    const id2 = await api.track('page_view');
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.events.map((e) => e.event_id)).toEqual([id, id2]);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('keeps events on 429 and on network errors, honouring Retry-After', async () => {
    const { calls } = mockFetch((events, n) =>
      n === 1 ? { status: 429, headers: { 'Retry-After': '30' } } : n === 2 ? new TypeError('Failed to fetch') : accepted(events),
    );
    const api = loadTracker();
    await api.track('lead');
    await settle();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2); // network error: still queued
    expect(storedQueue()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000); // second backoff step: 1–2 s (jitter pinned at 0.5 → 1.5 s)
    expect(calls).toHaveLength(3);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('removes rejected events with their reason and retries, later, events the answer did not settle', async () => {
    const { calls } = mockFetch((events, n) => n > 1 ? accepted(events) : ({
      status: 202,
      body: {
        queued: 1,
        results: [
          { index: 0, event_id: events[0]!.event_id, status: 'queued' },
          { index: 1, event_id: events[1]!.event_id, status: 'rejected', reason: 'identity.em: must be a SHA-256 hash' },
          { index: 2, event_id: events[2]!.event_id, status: 'duplicate' },
        ],
      },
    }));
    loadTracker({ stubCalls: [['track', ['page_view']], ['track', ['lead']], ['track', ['search']], ['track', ['sign_up']]] });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await settle();
    const sent = calls[0]!.events;
    expect(sent).toHaveLength(4);
    expect(storedQueue().map((e) => e.event_id)).toEqual([sent[3]!.event_id]);
    expect(warn).toHaveBeenCalledWith('[LayerSync]', expect.stringContaining('rejected: identity.em: must be a SHA-256 hash'));
    // Not resent in a loop: after a backoff (0.5–1 s; jitter pinned at 0.75 s).
    await vi.advanceTimersByTimeAsync(calls[0]!.at + 700 - Date.now());
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls[1]!.events.map((e) => e.event_id)).toEqual([sent[3]!.event_id]);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('drops a batch the route refuses as a whole (400 with every event rejected)', async () => {
    const { calls } = mockFetch((events) => ({
      status: 400,
      body: { queued: 0, results: events.map((e, index) => ({ index, event_id: e.event_id, status: 'rejected', reason: 'bad' })) },
    }));
    const api = loadTracker();
    await api.track('lead');
    await settle();
    expect(calls).toHaveLength(1);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('resends what an earlier page left in the queue', async () => {
    mockFetch(() => new TypeError('offline'));
    const first = loadTracker();
    const id = await first.track('lead');
    await settle();
    expect(storedQueue().map((e) => e.event_id)).toEqual([id]);

    const { calls } = mockFetch();
    loadTracker({ keepStorage: true });
    await settle();
    expect(calls[0]!.events.map((e) => e.event_id)).toEqual([id]);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('sends in batches of at most MAX_BATCH_EVENTS', async () => {
    const { calls } = mockFetch();
    const api = loadTracker();
    await Promise.all(Array.from({ length: MAX_BATCH_EVENTS + 5 }, (_, i) => api.track('custom:tick', { i })));
    await settle();
    expect(calls.map((c) => c.events.length)).toEqual([MAX_BATCH_EVENTS, 5]);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('still sends when localStorage is full', async () => {
    localStorage.clear();
    const { calls } = mockFetch();
    const setItem = vi.fn(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    const full = { getItem: () => null, setItem, removeItem: () => {} } as unknown as Storage;
    vi.spyOn(window, 'localStorage', 'get').mockReturnValue(full);
    const api = loadTracker({ keepStorage: true });
    const id = await api.track('lead');
    await settle();
    expect(setItem).toHaveBeenCalled();
    expect(calls[0]!.events.map((e) => e.event_id)).toEqual([id]);
  });

  it('still sends when localStorage is unavailable (sandboxed frame, blocked storage)', async () => {
    localStorage.clear();
    const { calls } = mockFetch((events, n) => (n === 1 ? { status: 500 } : accepted(events)));
    vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const api = loadTracker({ keepStorage: true });
    const id = await api.track('lead');
    await settle();
    await api.flush(); // kept in memory after the 500, sent on the next try
    expect(calls.map((c) => c.events.map((e) => e.event_id))).toEqual([[id], [id]]);
  });

  it('caps the queue, dropping the oldest unsent events with a warning', async () => {
    mockFetch(() => new TypeError('offline'));
    const api = loadTracker();
    const ids: Array<string | undefined> = [];
    for (let i = 0; i < MAX_QUEUED + 2; i++) ids.push(await api.track('custom:tick'));
    expect(storedQueue().map((e) => e.event_id)).toEqual(ids.slice(2));
    expect(warn).toHaveBeenCalledWith('[LayerSync]', expect.stringContaining('the queue is full: dropped 1'));
  });

  it('keeps events but does not send without an endpoint', async () => {
    const { calls } = mockFetch();
    const api = loadTracker({ config: {} });
    await api.track('lead');
    await settle();
    expect(calls).toHaveLength(0);
    expect(storedQueue()).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith('[LayerSync]', expect.stringContaining('endpoint is missing'));
  });
});

describe('page hide', () => {
  it('flushes with keepalive fetch when the page is hidden', async () => {
    const { calls } = mockFetch((events, n) => (n === 1 ? { status: 503 } : accepted(events)));
    vi.stubGlobal('Request', function Request() {});
    (globalThis.Request as unknown as { prototype: object }).prototype = { keepalive: true }; // as in browsers that support it
    const api = loadTracker();
    await api.track('lead');
    await settle();
    expect(calls).toHaveLength(1); // backoff now running
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    expect(calls).toHaveLength(2); // the hide flush ignores the backoff
    expect(calls[1]!.init.keepalive).toBe(true);
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
  });

  it('falls back to sendBeacon where fetch keepalive is unavailable, keeping the events queued', async () => {
    const { calls } = mockFetch(() => new TypeError('offline'));
    const beacon = vi.fn((_url: string, _data: Blob) => true);
    Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true });
    const api = loadTracker();
    const id = await api.track('lead');
    await settle();
    expect(calls).toHaveLength(1);
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('pagehide')); // both fire on navigation: one beacon only
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    expect(beacon).toHaveBeenCalledTimes(1);
    expect(beacon.mock.calls[0]![0]).toBe(ENDPOINT);
    const blob = beacon.mock.calls[0]![1];
    expect(blob.type).toBe('application/json');
    expect(JSON.parse(await blob.text()).events.map((e: { event_id: string }) => e.event_id)).toEqual([id]);
    // Its answer is never seen: the next page sends it again, deduplicated by event_id.
    expect(storedQueue().map((e) => e.event_id)).toEqual([id]);
  });
});

describe('page views and feature modules', () => {
  it('records a page_view on load unless the config says page_view: false', async () => {
    const { calls } = mockFetch();
    loadTracker({ config: { endpoint: ENDPOINT, page_view: true } });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]!.events.map((e) => e.event_name)).toEqual(['page_view']);
  });

  it('loads tracker-shop.js next to tracker.js only on pages with something for it, and hands it track()', async () => {
    mockFetch();
    const appended: HTMLScriptElement[] = [];
    vi.spyOn(document.head, 'appendChild').mockImplementation((n) => (appended.push(n as HTMLScriptElement), n));
    Object.defineProperty(document, 'currentScript', { value: { src: 'https://shop.example/wp-content/plugins/layersync/build/tracker.js?ver=0.1.0-1' }, configurable: true });
    loadTracker();
    expect(appended).toEqual([]); // a blog page: no WooCommerce, no forms, nothing printed
    unloadTrackers();
    const w = window as unknown as Record<string, unknown>;
    w.wc_add_to_cart_params = {};
    const api = loadTracker();
    expect(appended.map((s) => s.src)).toEqual(['https://shop.example/wp-content/plugins/layersync/build/tracker-shop.js?ver=0.1.0-1']);
    const installer = vi.fn();
    w.LayerSyncShop = installer;
    appended[0]!.onload!(new Event('load'));
    expect(installer).toHaveBeenCalledWith(window, expect.objectContaining({ endpoint: ENDPOINT }), api.track, expect.any(Function));
    delete w.wc_add_to_cart_params;
    delete w.LayerSyncShop;
    Object.defineProperty(document, 'currentScript', { value: null, configurable: true });
  });
});
