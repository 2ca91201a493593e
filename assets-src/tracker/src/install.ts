/**
 * Installs `window.LayerSync`, replays the calls the inline stub queued before this script
 * loaded, and wires the page-lifecycle flushes.
 *
 * The plugin prints, before the tracker:
 *   window.LayerSyncConfig = {"endpoint":"/wp-json/layersync/v1/events", ...};
 *   window.LayerSync = window.LayerSync || {q: []};
 *   window.LayerSync.track = window.LayerSync.track || function () {
 *     window.LayerSync.q.push(['track', Array.prototype.slice.call(arguments)]);
 *   };
 */
import { readConfig } from './config';
import { createConsentState } from './consent';
import { buildEvent } from './event';
import { debug, warn } from './log';
import { createQueue } from './queue';
import { createSender } from './sender';
import type { TrackProps } from './types';

/** The public API on `window.LayerSync`. */
export interface LayerSyncApi {
  /**
   * Records an event: identifiers in `props` are hashed, the event is saved to the queue, then
   * sent. Resolves to the event id once saved (undefined, with a console warning, when the
   * event was invalid).
   */
  track(name: string, props?: TrackProps): Promise<string | undefined>;
  /** Updates the consent snapshot attached to later events. */
  setConsent(consent: Record<string, unknown>): void;
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
  }
}

export function install(win: Window = window): LayerSyncApi {
  const target: StubObject = win.LayerSync ?? {};
  if (typeof target.version === 'string') {
    warn('the tracker was loaded twice; the second copy does nothing.');
    return target as unknown as LayerSyncApi;
  }
  const config = readConfig(win.LayerSyncConfig);
  const consent = createConsentState(config.consent);
  const queue = createQueue(() => win.localStorage);
  const sender = createSender(config.endpoint, queue);

  // Calls are processed one after the other so the queue keeps their order even though
  // hashing is asynchronous.
  let chain: Promise<unknown> = Promise.resolve();
  let pending = 0;

  const track = (name: string, props?: TrackProps): Promise<string | undefined> => {
    pending++;
    const done = chain
      .then(() =>
        buildEvent(name, props, { currency: config.currency, callingCode: config.default_calling_code, consent: consent.snapshot() }),
      )
      .then((event) => {
        if (!event) return undefined;
        if (event.event_name === 'purchase' || event.event_name === 'refund') {
          warn(`"${event.event_name}" is recorded by the server (order hooks); the browser does not send it.`);
          return event.event_id;
        }
        queue.add(event); // saved first…
        if (__LAYERSYNC_DEBUG__) debug('queued', event);
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
    setConsent: consent.set,
    flush: () => sender.flush(true),
    version: __LAYERSYNC_VERSION__,
  };

  const dispatch = (call: StubCall): void => {
    const method = api[call[0] as keyof LayerSyncApi];
    if (typeof method === 'function') (method as (...args: unknown[]) => unknown)(...Array.prototype.slice.call(call[1]));
    else warn(`LayerSync.${String(call[0])}() does not exist.`);
  };

  const queued = Array.isArray(target.q) ? target.q : [];
  // The same object stays in place, so references taken to the stub keep working; a late push
  // onto `q` (a stub function captured earlier) runs at once.
  Object.assign(target, api, { q: { push: dispatch } });
  win.LayerSync = target;
  queued.forEach(dispatch);

  void sender.flush(); // what earlier pages left in the queue
  win.addEventListener('pagehide', sender.flushOnHide);
  win.document.addEventListener('visibilitychange', () => {
    if (win.document.visibilityState === 'hidden') sender.flushOnHide();
  });
  win.addEventListener('online', () => void sender.flush(true));
  win.dispatchEvent(new CustomEvent('layersync:ready', { detail: api }));
  return api;
}
