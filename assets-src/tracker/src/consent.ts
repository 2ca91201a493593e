/**
 * The consent state every event carries a snapshot of. Sources: `LayerSyncConfig.consent` (the
 * site default the plugin printed), `LayerSync.setConsent()`, and the CMP adapters in cmp.ts.
 * Listeners hear every change, so revocation can stop pixels and drop queued sends at once.
 */
import { warn } from './log';
import type { Consent } from './types';

export const SIGNALS = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;
export type Signal = (typeof SIGNALS)[number];
export type ConsentUpdate = Partial<Record<Signal, 'granted' | 'denied'>> & { do_not_sell?: boolean };

export interface ConsentState {
  /** Merges known signals. Unknown keys are reported unless `quiet` (CMP shapes carry extras such as wait_for_update). */
  set(update: unknown, quiet?: boolean): void;
  /** A complete snapshot: a signal nobody has set yet counts as denied. */
  snapshot(): Consent;
  /** Called after every change with the new and the previous snapshot. */
  on(listener: (now: Consent, before: Consent) => void): void;
}

export const granted = (c: ConsentUpdate, signal: Signal): boolean => c[signal] === 'granted';

export function createConsentState(initial?: unknown): ConsentState {
  const state: ConsentUpdate = {};
  const listeners: Array<(now: Consent, before: Consent) => void> = [];
  const snapshot = (): Consent => {
    const c = { do_not_sell: !!state.do_not_sell } as Consent;
    for (const k of SIGNALS) c[k] = state[k] || 'denied';
    return c;
  };
  const set = (update: unknown, quiet?: boolean): void => {
    if (!update || typeof update !== 'object') {
      if (update !== undefined) warn('setConsent() expects an object.');
      return;
    }
    const before = snapshot();
    for (const key of Object.keys(update)) {
      const value = (update as Record<string, unknown>)[key];
      if ((SIGNALS as readonly string[]).includes(key) && (value === 'granted' || value === 'denied')) {
        state[key as Signal] = value;
      } else if (key === 'do_not_sell' && typeof value === 'boolean') {
        state.do_not_sell = value;
      } else if (!quiet) {
        warn(`consent "${key}": use "granted" or "denied" (do_not_sell: true/false).`);
      }
    }
    const now = snapshot();
    if (JSON.stringify(now) !== JSON.stringify(before)) listeners.forEach((l) => l(now, before));
  };
  set(initial);
  return { set, snapshot, on: (l) => void listeners.push(l) };
}
