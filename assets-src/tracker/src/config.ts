import { warn } from './log';
import type { PixelsConfig } from './pixels/types';

/** An event the plugin asks the page to record (README "WooCommerce and forms"). */
export type PageEvent = Record<string, unknown> & { event_name?: string; event_id?: string };

/**
 * Runtime configuration: one JSON object the plugin prints as `window.LayerSyncConfig` before
 * the tracker loads. Every key is documented in README.md ("Configuration").
 */
export interface TrackerConfig {
  /** Same-origin URL of the events route, e.g. "/wp-json/layersync/v1/events". */
  endpoint: string;
  /** Consent known when the page was rendered: ad_storage, analytics_storage, ad_user_data, ad_personalization ("granted" | "denied"), do_not_sell. */
  consent?: Record<string, unknown>;
  /** Store currency (ISO 4217) for events that have a value but no currency. */
  currency?: string;
  /** Digits of the store's calling code ("1", "49"): national phone numbers get it prefixed. */
  default_calling_code?: string;
  /** Default-denied mode: nothing stored or sent until ad_storage or analytics_storage is granted. */
  require_consent?: boolean;
  /** Event names recorded and sent even without consent in default-denied mode. */
  consent_exempt?: string[];
  /** Browser pixels to load (only with consent). */
  pixels?: PixelsConfig;
  /** URL of tracker-pixels.js; default: next to tracker.js. */
  pixels_src?: string;
  /** URL of tracker-shop.js; default: next to tracker.js. */
  shop_src?: string;
  /** The thank-you page's purchase, recorded by the server: {event_id, order_id, value, currency, items, identity…}. */
  purchase?: PageEvent;
  /** Events to record on this page: with event_id = server-first (already recorded by the server), without = browser-first. */
  events?: PageEvent[];
  /** Headless mode: event name → URL substrings of fetch/XHR requests that get X-LayerSync-Event-Id/-Name headers. */
  headless?: Record<string, string[]>;
  /** The plugin's WooCommerce settings: `events` lists the funnel events switched on. */
  commerce?: { events?: string[] };
  /** WooCommerce event detection in the page (default true). */
  woocommerce?: boolean;
  /** Lead form detection: Contact Form 7, WPForms, Ninja Forms, Formidable (default true). */
  forms?: boolean;
  /** Record a page_view on every page load (default true). */
  page_view?: boolean;
  /** Domain for the _fbp/_fbc cookies (e.g. ".example.com" to share them with subdomains); default: host-only. */
  cookie_domain?: string;
  /** Create the _fbp cookie when absent (default true). */
  fbp?: boolean;
  /** GA4 measurement id whose _ga_<id> cookie holds the session id (default: the first G- id in pixels.google). */
  ga_measurement_id?: string;
}

const obj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `window.LayerSyncConfig` with its defaults; an empty endpoint means "queue, do not send". */
export function readConfig(raw: unknown): TrackerConfig {
  const c = (obj(raw) ? raw : {}) as unknown as TrackerConfig;
  const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
  const google = c.pixels && c.pixels.google && c.pixels.google.ids;
  if (!c.endpoint) warn('LayerSyncConfig.endpoint is missing: events are queued, not sent.');
  return {
    ...c,
    endpoint: String(c.endpoint || ''),
    consent: obj(c.consent) ? c.consent : undefined,
    currency: c.currency && String(c.currency).toUpperCase(),
    default_calling_code: c.default_calling_code && String(c.default_calling_code).replace(/\D+/g, ''),
    consent_exempt: list(c.consent_exempt),
    events: list(c.events).filter(obj),
    headless: obj(c.headless) ? c.headless : {},
    ga_measurement_id: c.ga_measurement_id || list(google).filter((id) => /^G-/.test(id))[0],
  };
}
