/**
 * The consent snapshot attached to each event. This foundation takes the state the plugin
 * printed (`LayerSyncConfig.consent`) and `LayerSync.setConsent()`; CMP adapters build on it.
 * An event carries consent only once all four signals are known; without it the relay applies
 * the site default.
 */
import { warn } from './log';
import type { Consent } from './types';

const SIGNALS = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;

export interface ConsentState {
  /** Merges known signals; unknown keys and values are reported and ignored. */
  set(update: unknown): void;
  /** A complete snapshot, or undefined while any signal is unknown. */
  snapshot(): Consent | undefined;
}

export function createConsentState(initial?: unknown): ConsentState {
  const state: Partial<Consent> = {};
  const set = (update: unknown): void => {
    if (!update || typeof update !== 'object') {
      if (update !== undefined) warn('setConsent() expects an object such as {ad_storage: "granted"}.');
      return;
    }
    for (const [key, value] of Object.entries(update)) {
      if ((SIGNALS as readonly string[]).includes(key) && (value === 'granted' || value === 'denied')) {
        state[key as (typeof SIGNALS)[number]] = value;
      } else if (key === 'do_not_sell' && typeof value === 'boolean') {
        state.do_not_sell = value;
      } else {
        warn(`consent "${key}": ${JSON.stringify(value)} is not understood; use granted/denied (do_not_sell: true/false).`);
      }
    }
  };
  set(initial);
  return {
    set,
    snapshot: () => (SIGNALS.every((k) => state[k]) ? ({ do_not_sell: false, ...state } as Consent) : undefined),
  };
}
