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
