/**
 * What the store asks of the vault: seal secrets on the way in, open them on the way out. The
 * store never decides which settings are secret; the destination's settings schema does
 * (`.meta({ secret: true })`, plus credential-looking names as a safety net).
 */
import type { DestinationRegistry } from '../destinations/registry.js';
import { secretKeys } from '../destinations/secrets.js';
import type { Vault } from './cipher.js';

export interface StoreVault {
  sealSiteSecret(siteId: string, secret: string): string;
  openSiteSecret(siteId: string, stored: string): string;
  /** Returns a copy of `settings` whose secret fields are sealed. */
  sealSettings(siteId: string, slug: string, settings: unknown): unknown;
  /** Returns a copy of `settings` whose sealed fields are opened. */
  openSettings(siteId: string, slug: string, settings: unknown): unknown;
  /** A stored site secret that is plaintext or sealed with an older key. */
  siteSecretNeedsReseal(stored: string): boolean;
  /** Stored settings with a secret field that is plaintext or sealed with an older key. */
  settingsNeedReseal(siteId: string, slug: string, stored: unknown): boolean;
  isSealed(value: unknown): boolean;
}

const siteContext = (siteId: string) => `site:${siteId}:secret`;
const fieldContext = (siteId: string, slug: string, key: string) => `destination:${siteId}:${slug}:${key}`;

export function createStoreVault(vault: Vault, registry: Partial<DestinationRegistry>): StoreVault {
  const schemaOf = (slug: string) => (registry as Record<string, { settings?: never } | undefined>)[slug]?.settings;
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  return {
    sealSiteSecret: (siteId, secret) => (vault.isSealed(secret) ? secret : vault.seal(secret, siteContext(siteId))),
    openSiteSecret: (siteId, stored) => vault.open(stored, siteContext(siteId)),

    sealSettings(siteId, slug, settings) {
      if (!isRecord(settings)) return settings;
      const out: Record<string, unknown> = { ...settings };
      for (const key of secretKeys(schemaOf(slug), settings)) {
        const v = out[key];
        if (typeof v === 'string' && v !== '' && !vault.isSealed(v)) out[key] = vault.seal(v, fieldContext(siteId, slug, key));
      }
      return out;
    },

    openSettings(siteId, slug, settings) {
      if (!isRecord(settings)) return settings;
      let out: Record<string, unknown> | undefined;
      for (const [key, v] of Object.entries(settings)) {
        if (vault.isSealed(v)) {
          out ??= { ...settings };
          out[key] = vault.open(v, fieldContext(siteId, slug, key));
        }
      }
      return out ?? settings;
    },

    siteSecretNeedsReseal: (stored) => !vault.isSealed(stored) || !vault.isCurrent(stored),

    settingsNeedReseal(siteId, slug, stored) {
      if (!isRecord(stored)) return false;
      // A field sealed with an older key, wherever it is (a schema may have changed since).
      for (const v of Object.values(stored)) if (vault.isSealed(v) && !vault.isCurrent(v)) return true;
      return secretKeys(schemaOf(slug), stored).some((k) => typeof stored[k] === 'string' && stored[k] !== '' && !vault.isSealed(stored[k]));
    },

    isSealed: (v) => vault.isSealed(v),
  };
}
