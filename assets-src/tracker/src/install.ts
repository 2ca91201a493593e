/**
 * Installs `window.LayerSync`, replays the calls the inline stub queued before this script
 * loaded, and wires consent, first-party ids, the queue and sender, the page's commerce and form
 * events, headless request headers and the (lazily loaded) pixel chunk.
 *
 * The plugin prints, before the tracker:
 *   window.LayerSyncConfig = {"endpoint":"/wp-json/layersync/v1/events", ...};
 *   window.LayerSync = window.LayerSync || {q: []};
 *   window.LayerSync.track = window.LayerSync.track || function () {
 *     window.LayerSync.q.push(['track', Array.prototype.slice.call(arguments)]);
 *   };
 */
import { watchConsentSources } from './cmp';
import { readConfig } from './config';
import { SIGNALS, createConsentState, granted } from './consent';
import { SERVER_ONLY_EVENTS, buildEvent } from './event';
import { AD_KEYS, GA_KEYS, createIds } from './ids';
import { createStamps } from './lock';
import { debug, warn } from './log';
import type { PixelEvent, Pixels, PixelsFactory } from './pixels/types';
import { createQueue } from './queue';
import { createSender } from './sender';
import type { ShopInstaller } from './shop/types';
import type { BrowserEvent, Consent, Identity, TrackProps } from './types';

/** The public API on `window.LayerSync`. */
export interface LayerSyncApi {
  /**
   * Records an event: identifiers in `props` are hashed, the event is saved to the queue, then
   * sent, and handed to the enabled pixels with the same event id. Resolves to the event id once
   * saved (undefined, with a console warning, when the event was invalid). purchase and refund
   * go to the pixels only: the server records them.
   */
  track(name: string, props?: TrackProps): Promise<string | undefined>;
  /** Updates the consent attached to later events (and forwarded to gtag in Consent Mode v2 shape). */
  setConsent(consent: Record<string, unknown>): void;
  /** The consent snapshot events get now. */
  getConsent(): Consent;
  /** Sends what is queued now, ignoring a running backoff. */
  flush(): Promise<void>;
  version: string;
}

/** One call recorded by the stub: `[method, arguments]`. */
type StubCall = [string, ArrayLike<unknown>];

interface StubObject {
  q?: StubCall[] | { push(call: StubCall): void };
  version?: string;
  [method: string]: unknown;
}

declare global {
  interface Window {
    LayerSync?: StubObject;
    LayerSyncConfig?: unknown;
    LayerSyncPixels?: PixelsFactory;
    LayerSyncShop?: ShopInstaller;
  }
}

/** Events of this page kept for pixels that load later (consent given after some events). */
const PAGE_EVENTS = 30;

/** Narrows a queued event's consent to what is still granted, and drops ids no longer allowed. */
function narrow(e: BrowserEvent, now: Consent): BrowserEvent {
  const was = (e.consent || now) as Consent;
  const c = { ...now, do_not_sell: now.do_not_sell || !!was.do_not_sell } as Consent;
  for (const k of SIGNALS) if (was[k] !== 'granted') c[k] = 'denied';
  const identity: Identity = { ...e.identity };
  for (const k of AD_KEYS) if (!granted(c, 'ad_storage')) delete identity[k];
  for (const k of GA_KEYS) if (!granted(c, 'analytics_storage')) delete identity[k];
  return { ...e, consent: c, identity };
}

export function install(win: Window = window): LayerSyncApi {
  const target: StubObject = win.LayerSync ?? {};
  if (typeof target.version === 'string') {
    warn('loaded twice: second copy ignored.');
    return target as unknown as LayerSyncApi;
  }
  const doc = win.document;
  const script = doc.currentScript as HTMLScriptElement | null;
  const config = readConfig(win.LayerSyncConfig);
  const consent = createConsentState(config.consent);
  // Default-denied mode: nothing stored or sent before ad_storage or analytics_storage is granted.
  const mayStore = (c: Consent): boolean => !config.require_consent || granted(c, 'ad_storage') || granted(c, 'analytics_storage');
  const exempt = (name: string): boolean => config.consent_exempt!.includes(name);
  const storage = (): Storage | undefined => (mayStore(consent.snapshot()) ? win.localStorage : undefined);
  const queue = createQueue(() => win.localStorage, mayStore(consent.snapshot()));
  const inFlight = createStamps('layersync:f', storage);
  const sender = createSender(win, config.endpoint, queue, inFlight);
  const ids = createIds(win, { fbp: config.fbp, ga: config.ga_measurement_id, domain: config.cookie_domain });
  /** Events waiting for consent in default-denied mode: memory only, dropped with the page. */
  let held: BrowserEvent[] = [];

  /** Loads a feature module that sits next to tracker.js (same version query) unless the config names its URL. */
  const chunk = (name: string, src: string | undefined, ready: () => void): void => {
    src = src || (script && script.src ? script.src.replace(/tracker(\.[\w-]+)?\.js/, `tracker-${name}.js`) : '');
    if (!src) return;
    const s = doc.createElement('script');
    s.async = true;
    s.src = src;
    s.onload = ready;
    (doc.head || doc.documentElement).appendChild(s);
  };

  // Pixels: the chunk loads once some pixel is enabled and consent allows one.
  const pixels = config.pixels && Object.keys(config.pixels).length ? config.pixels : undefined;
  const pageEvents: PixelEvent[] = [];
  let px: Pixels | undefined;
  let pixelsRequested = false;
  const knownIdentity = (): Identity => Object.assign({}, ...pageEvents.map((e) => e.identity)) as Identity;
  const loadPixels = (): void => {
    const c = consent.snapshot();
    if (!pixels || pixelsRequested || c.do_not_sell || !(granted(c, 'ad_storage') || granted(c, 'analytics_storage'))) return;
    pixelsRequested = true;
    chunk('pixels', config.pixels_src, () => {
      const create = win.LayerSyncPixels;
      if (typeof create !== 'function') return;
      px = create(win, pixels, consent.snapshot(), knownIdentity());
      pageEvents.forEach(px.track);
    });
  };
  const toPixels = (e: BrowserEvent): void => {
    if (!pixels) return;
    if (pageEvents.push(e) > PAGE_EVENTS) pageEvents.shift();
    if (px) px.track(e);
    else loadPixels();
  };

  // The CMPs' state at load is the starting point, not a change (read before listening).
  watchConsentSources(win, consent);
  // The first cookie and localStorage accesses are synchronous round trips to the browser (tens
  // of ms on a slow phone): each gets a task of its own after this script's, so loading the
  // tracker adds no long task (bench/tracker-longtasks.mjs). Events wait for that first task.
  setTimeout(() => ids.update(consent.snapshot()));
  consent.on((now, before) => {
    ids.update(now);
    const revoked = SIGNALS.some((k) => before[k] === 'granted' && now[k] === 'denied') || (now.do_not_sell && !before.do_not_sell);
    if (revoked) {
      // Queued events leave with no more than what is still granted; in default-denied mode
      // events may no longer be kept at all.
      queue.map((e) => (mayStore(now) || exempt(e.event_name) ? narrow(e, now) : undefined));
      held = [];
    }
    queue.persist(mayStore(now));
    if (mayStore(now) && held.length) {
      // Consent arrived on this page: the events that waited for it are recorded with it.
      for (const e of held) queue.add({ ...e, consent: now, identity: { ...ids.get(now), ...e.identity } });
      held = [];
    }
    if (px) px.consent(now);
    else loadPixels();
    void sender.flush();
  });

  // Calls are processed one after the other so the queue keeps their order even though
  // hashing is asynchronous.
  let chain: Promise<unknown> = new Promise((r) => setTimeout(r));
  let pending = 0;

  const track = (name: string, props?: TrackProps): Promise<string | undefined> => {
    pending++;
    const done = chain
      .then(() => buildEvent(name, props, { currency: config.currency, callingCode: config.default_calling_code, consent: consent.snapshot() }))
      .then((event) => {
        if (!event) return undefined;
        const c = event.consent as Consent;
        event.identity = { ...ids.get(c), ...event.identity };
        toPixels(event);
        if (SERVER_ONLY_EVENTS.includes(event.event_name)) {
          if (__LAYERSYNC_DEBUG__) debug(`${event.event_name} goes to the pixels only: the server records it`);
        } else if (mayStore(c) || exempt(event.event_name)) {
          queue.add(event); // saved first…
          if (__LAYERSYNC_DEBUG__) debug('queued', event);
        } else {
          held.push(event);
        }
        return event.event_id;
      })
      .catch((e: unknown) => {
        warn('could not record the event:', e);
        return undefined;
      })
      .then((id) => {
        if (--pending === 0) void sender.flush(); // …sent second, batched with calls made meanwhile
        return id;
      });
    chain = done;
    return done;
  };

  const api: LayerSyncApi = {
    track,
    setConsent: (update) => {
      consent.set(update);
      const gtag = (win as unknown as { gtag?: (...a: unknown[]) => void }).gtag;
      const v2: Record<string, unknown> = {};
      for (const k of SIGNALS) if (update && (update[k] === 'granted' || update[k] === 'denied')) v2[k] = update[k];
      if (typeof gtag === 'function' && Object.keys(v2).length) gtag('consent', 'update', v2);
    },
    getConsent: consent.snapshot,
    flush: () => sender.flush(true),
    version: __LAYERSYNC_VERSION__,
  };

  const dispatch = (call: StubCall): void => {
    const method = api[call[0] as keyof LayerSyncApi];
    if (typeof method === 'function') (method as (...args: unknown[]) => unknown)(...Array.prototype.slice.call(call[1]));
    else warn(`no method ${String(call[0])}()`);
  };


  const queued = Array.isArray(target.q) ? target.q : [];
  // The same object stays in place, so references taken to the stub keep working; a late push
  // onto `q` (a stub function captured earlier) runs at once.
  Object.assign(target, api, { q: { push: dispatch } });
  win.LayerSync = target;
  if (config.page_view !== false) void track('page_view');
  queued.forEach(dispatch);

  // The shop module, on pages with something for it (README "WooCommerce and forms").
  let shop = false;
  const w = win as unknown as Record<string, unknown>;
  const loadShop = (): void => {
    const woo = config.woocommerce !== false && (w.woocommerce_params || w.wc_add_to_cart_params || w.wcSettings || /\bwoocommerce\b/.test(doc.body ? doc.body.className : ''));
    const forms = config.forms !== false && (w.wpcf7 || w.wpforms || w.nfForms || w.frm_js);
    if (shop || !(woo || forms || config.events!.length || config.purchase || Object.keys(config.headless!).length)) return;
    shop = true;
    chunk('shop', config.shop_src, () => win.LayerSyncShop && win.LayerSyncShop(win, config, track, storage));
  };
  loadShop();
  win.addEventListener('load', loadShop);

  setTimeout(() => void sender.flush()); // what earlier pages left in the queue
  win.addEventListener('pagehide', sender.flushOnHide);
  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState === 'hidden') sender.flushOnHide();
  });
  win.addEventListener('online', () => void sender.flush(true));
  win.dispatchEvent(new CustomEvent('layersync:ready', { detail: api }));
  return api;
}
