import { warn } from './log';

/**
 * Runtime configuration: one JSON object the plugin prints as `window.LayerSyncConfig` before
 * the tracker loads.
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
}

/** Validated copy of `window.LayerSyncConfig`; an empty endpoint means "queue, do not send". */
export function readConfig(raw: unknown): TrackerConfig {
  const c = (raw && typeof raw === 'object' ? raw : {}) as Partial<TrackerConfig>;
  const endpoint = typeof c.endpoint === 'string' ? c.endpoint : '';
  if (!endpoint) warn('window.LayerSyncConfig.endpoint is missing: events are kept in the queue but not sent.');
  return {
    endpoint,
    consent: c.consent && typeof c.consent === 'object' ? c.consent : undefined,
    currency: typeof c.currency === 'string' ? c.currency.toUpperCase() : undefined,
    default_calling_code: typeof c.default_calling_code === 'string' ? c.default_calling_code.replace(/\D+/g, '') : undefined,
  };
}
