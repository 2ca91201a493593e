/**
 * The plugin's capability-checked REST admin routes. api-fetch carries the REST nonce and root
 * URL: WordPress registers both middlewares with its `wp-api-fetch` script.
 */
import apiFetch from '@wordpress/api-fetch';
import { __ } from '@wordpress/i18n';

const BASE = '/layersync/v1/admin';

/** What `GET /layersync/v1/admin/settings` answers. The secret itself is never returned. */
export interface ConnectionSettings {
  relay_url: string;
  site_id: string;
  /** True when a secret is stored. */
  secret_set: boolean;
  /** Masked form of the stored secret (e.g. "••••3f9a"), for display only. */
  secret_hint: string;
}

/** Body of `POST /layersync/v1/admin/settings`; an omitted `secret` keeps the stored one. */
export interface ConnectionSettingsUpdate {
  relay_url: string;
  site_id: string;
  secret?: string;
}

/** What `POST /layersync/v1/admin/test-connection` answers. */
export interface ConnectionTestResult {
  ok: boolean;
  /** Machine-readable cause, e.g. "bad_signature", "unreachable", "ok". */
  diagnosis: string;
  /** Human-readable explanation from the plugin, already translated. */
  message: string;
}

export const getSettings = (): Promise<ConnectionSettings> => apiFetch<ConnectionSettings>({ path: `${BASE}/settings` });

export const saveSettings = (data: ConnectionSettingsUpdate): Promise<ConnectionSettings> =>
  apiFetch<ConnectionSettings>({ path: `${BASE}/settings`, method: 'POST', data });

export const testConnection = (): Promise<ConnectionTestResult> =>
  apiFetch<ConnectionTestResult>({ path: `${BASE}/test-connection`, method: 'POST' });

/**
 * The message to show for a failed request. api-fetch rejects with the REST error body
 * (`{code, message, data}`) or with its own `{code: 'fetch_error' | 'invalid_json', message}`.
 */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string' && error.message) {
    return error.message;
  }
  return __('The request failed. Check your connection and try again.', 'layersync');
}

// ── Relay admin API, through the plugin's signed proxy (layersync/v1/admin/relay/…) ──

const RELAY = `${BASE}/relay`;

/** One settings field of a destination type, as the relay describes it (written once, in the relay). */
export interface FieldSpec {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  /** True for credentials: write-only, shown masked. */
  secret?: boolean;
  writeOnly?: boolean;
}

/** `GET /admin/relay/destination-types` entry. */
export interface DestinationType {
  slug: string;
  label: string;
  settings_schema: { properties?: Record<string, FieldSpec>; required?: string[] };
  /** The same settings as an ordered field list: render forms from this. */
  fields: Array<{ name: string; title: string; description: string | null; type: string; required: boolean; secret: boolean; enum?: string[]; default?: unknown }>;
  secret_fields: string[];
  max_event_age_seconds: number;
  default_event_map: Record<string, string>;
  supports_connection_test: boolean;
}

/** A platform connection of this site at the relay (secrets masked by the relay). */
export interface Destination {
  id: number;
  slug: string;
  label: string;
  enabled: boolean;
  mode: 'live' | 'dry_run';
  settings: Record<string, unknown>;
  secret_fields: string[];
  parked: { at: string; reason: string } | null;
  event_map: Record<string, string | null> | null;
}

export interface Diagnosis {
  ok: boolean;
  code: string;
  message: string;
}

export interface DeliveryView {
  id: number;
  destination_id: number;
  destination: string;
  mode: string;
  platform_event_name: string | null;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  payload?: unknown;
  latency_ms: number | null;
  updated_at: string;
  event_id?: string;
  event_name?: string;
  event_time?: number;
}

export interface Decision {
  event_id: string;
  source: string;
  action: string;
  reason: string;
  received_at: string;
}

export interface RelayEvent {
  event_id: string;
  event_name: string;
  event_time: number;
  source: string;
  received_at: string;
  deliveries: DeliveryView[];
  decisions: Decision[];
}

export interface DestinationStats {
  destination_id: number;
  destination: string;
  window: { since: string; until: string; bucket_seconds: number };
  total: number;
  counts: Record<string, number>;
  success_rate: number | null;
  latency_ms: { p50: number | null; p95: number | null; samples: number };
  buckets: Array<{ start: string; counts: Record<string, number> }>;
}

export interface SitePolicy {
  default_denied: boolean;
  ldu: { enabled: boolean; country?: string; state?: string };
  do_not_sell_mode: 'drop' | 'limited';
  purposes: Record<string, string[]>;
}

export type BrowserPixels = Record<string, { enabled: boolean; id: string }>;

const q = (params: Record<string, string | number | undefined>) => {
  const s = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return s ? `?${s}` : '';
};

/** This site at the relay (GET /v1/admin/sites/{site_id}); retention_days from relays that report it. */
export interface RelaySite {
  site_id: string;
  destinations: number;
  rotating: boolean;
  retention_days?: number;
}

export const relay = {
  types: () => apiFetch<{ types: DestinationType[] }>({ path: `${RELAY}/destination-types` }).then((r) => r.types),
  destinations: () => apiFetch<{ destinations: Destination[] }>({ path: `${RELAY}/destinations` }).then((r) => r.destinations),
  createDestination: (data: { slug: string; settings: Record<string, unknown>; mode?: string; enabled?: boolean }) =>
    apiFetch<Destination>({ path: `${RELAY}/destinations`, method: 'POST', data }),
  updateDestination: (id: number, data: { settings?: Record<string, unknown>; mode?: string; enabled?: boolean }) =>
    apiFetch<Destination>({ path: `${RELAY}/destinations/${id}`, method: 'PATCH', data }),
  testDestination: (id: number) => apiFetch<Diagnosis>({ path: `${RELAY}/destinations/${id}/test`, method: 'POST' }),
  setEventMap: (id: number, eventMap: Record<string, string | null> | null) =>
    apiFetch<Destination>({ path: `${RELAY}/destinations/${id}/event-map`, method: 'PUT', data: { event_map: eventMap } }),
  events: (params: { limit?: number; name?: string } = {}) =>
    apiFetch<{ events: RelayEvent[]; next_cursor?: string }>({ path: `${RELAY}/events${q(params)}` }),
  event: (eventId: string) => apiFetch<RelayEvent>({ path: `${RELAY}/events/${encodeURIComponent(eventId)}` }),
  deadLetters: () =>
    apiFetch<{ deliveries: DeliveryView[] }>({ path: `${RELAY}/deliveries?status[]=failed&status[]=dead&limit=50` }).then((r) => r.deliveries),
  stats: (since: string) => apiFetch<{ destinations: DestinationStats[] }>({ path: `${RELAY}/stats${q({ since })}` }).then((r) => r.destinations),
  replay: (data: { event_id?: string; destination_id?: number }) =>
    apiFetch<{ requeued: number; warnings: string[] }>({ path: `${RELAY}/replays`, method: 'POST', data }),
  site: () => apiFetch<RelaySite>({ path: `${RELAY}/site` }),
  policy: () => apiFetch<SitePolicy>({ path: `${RELAY}/policy` }),
  setPolicy: (data: Partial<SitePolicy>) => apiFetch<SitePolicy>({ path: `${RELAY}/policy`, method: 'PUT', data }),
  pixels: () => apiFetch<{ pixels: BrowserPixels }>({ path: `${RELAY}/browser-pixels` }).then((r) => r.pixels),
  setPixel: (data: { platform: string; enabled: boolean; id?: string }) =>
    apiFetch<{ pixels: BrowserPixels }>({ path: `${RELAY}/browser-pixels`, method: 'POST', data }).then((r) => r.pixels),
};

// ── WordPress outbox (the Queue screen) ──

export interface OutboxRow {
  id: number;
  event_id: string;
  event_name: string;
  priority: number;
  status: string;
  attempts: number;
  created_at: string | null;
  next_attempt_at: string | null;
  last_error: string | null;
}

export interface OutboxPage {
  items: OutboxRow[];
  total: number;
  total_pages: number;
  page: number;
  counts: Record<string, number>;
}

export const outbox = {
  list: (params: { status?: string; priority?: string; event?: string; page: number }) =>
    apiFetch<OutboxPage>({ path: `${BASE}/outbox${q({ ...params, per_page: 20 })}` }),
  retry: (ids: number[]) => apiFetch<{ retried: number[]; skipped: number[] }>({ path: `${BASE}/outbox/retry`, method: 'POST', data: { ids } }),
  remove: (ids: number[]) => apiFetch<{ deleted: number }>({ path: `${BASE}/outbox/delete`, method: 'POST', data: { ids } }),
};

/** A consent manager detected on the site (server side). */
export interface ConsentSourceEntry {
  id: string;
  label: string;
}

/** `consent_source` of `GET /admin/settings` and `/admin/status`. */
export interface ConsentSourceReport {
  /** The source in use: a CMP id (cookiebot, cookieyes, onetrust, borlabs, complianz…), "wp_consent_api" or "none". */
  id: string;
  label: string;
  detected: ConsentSourceEntry[];
  /** Whether events recorded by the server take consent from the WP Consent API. */
  wp_consent_api: boolean;
}

/** `retention` of `GET /admin/settings`: how long the WordPress outbox keeps events. */
export interface RetentionReport {
  outbox: {
    tiers: Array<{ seconds: number; events: string[]; custom: boolean; evictable: boolean }>;
    delivered_seconds: number;
    failed_seconds: number;
    max_rows: number;
  };
}

/** Settings that other screens edit (privacy switches, tracked events, purchase timing), and read-only facts. */
export interface AllSettings extends ConnectionSettings {
  anonymize_ip: boolean;
  consent_default: string;
  require_consent: boolean;
  do_not_sell: boolean;
  ldu: boolean;
  ldu_region: string;
  commerce_events: string[];
  site_events: string[];
  /** Every event each group can switch, in the server's order (read-only). */
  trackable_events: { site: string[]; commerce: string[] };
  purchase_timing: Record<string, string>;
  woocommerce_active: boolean;
  consent_source: ConsentSourceReport;
  retention: RetentionReport;
}

/** What a screen may save through `POST /admin/settings` without touching the connection. */
export type SettingsUpdate = Partial<
  Pick<AllSettings, 'anonymize_ip' | 'consent_default' | 'require_consent' | 'do_not_sell' | 'ldu' | 'ldu_region' | 'commerce_events' | 'site_events' | 'purchase_timing'>
>;

export const getAllSettings = (): Promise<AllSettings> => apiFetch<AllSettings>({ path: `${BASE}/settings` });
/** Saves the values given; the connection (relay URL, site id, secret) is left as it is. */
export const saveAllSettings = (data: SettingsUpdate): Promise<AllSettings> =>
  apiFetch<AllSettings>({ path: `${BASE}/settings`, method: 'POST', data });

// ── Lead forms (`/admin/forms`) ──

/** One form plugin's lead capture settings. */
export interface FormPluginSettings {
  name: string;
  /** Whether the form plugin is installed and active on this site. */
  active: boolean;
  /** Record a lead when one of its forms is sent. */
  enabled: boolean;
  /** Detect email, phone and name fields by their type and name. */
  auto: boolean;
  /** Rules: field name, label or "type:<type>" → identity key or "ignore". */
  fields: Record<string, string>;
  /** Form ids never recorded. */
  exclude: string[];
}

export interface FormsReport {
  plugins: Record<string, FormPluginSettings>;
  targets: string[];
  /** Plugins whose fields are fixed (WooCommerce): form → identity keys taken from it. */
  fixed_fields: Record<string, Record<string, string[]>>;
}

export type FormPluginUpdate = Partial<Pick<FormPluginSettings, 'enabled' | 'auto' | 'fields' | 'exclude'>>;

export const forms = {
  get: () => apiFetch<FormsReport>({ path: `${BASE}/forms` }),
  save: (slug: string, data: FormPluginUpdate) => apiFetch<FormsReport>({ path: `${BASE}/forms`, method: 'POST', data: { [slug]: data } }),
};
