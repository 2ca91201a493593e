/**
 * Opens the relay's store with the vault attached: resolves the key (environment, key file, or a
 * generated key file next to the database), seals any plaintext secret left from before the
 * vault, and re-seals values sealed with a previous key. The relay and the CLI both open their
 * store here, so neither ever writes a plaintext credential.
 */
import type { DestinationRegistry } from '../destinations/registry.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../store/sqlite.js';
import { resolveVault, type ResolvedVault, type VaultKeyConfig } from './keyring.js';
import { createStoreVault } from './store-vault.js';

export interface VaultLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OpenStoreOptions {
  dbPath: string;
  vault: VaultKeyConfig;
  registry: Partial<DestinationRegistry>;
  log: VaultLog;
  store?: Omit<SqliteStoreOptions, 'vault'>;
}

export function openVaultedStore(opts: OpenStoreOptions): { store: SqliteStore; vault: ResolvedVault } {
  const store = openSqliteStore(opts.dbPath, opts.store);
  try {
    const resolved = resolveVault(opts.vault, { dbPath: opts.dbPath, hasSealedSecrets: () => store.hasSealedSecrets() });
    for (const w of resolved.warnings) opts.log.warn({ keyFile: resolved.keyFile }, w);
    if (resolved.source === 'generated') {
      opts.log.info(
        { keyFile: resolved.keyFile, keyId: resolved.vault.keyId },
        `generated the vault key file ${resolved.keyFile} (mode 0600): it encrypts site secrets and platform credentials in the database. ` +
          'Back it up separately from the database; without it the stored credentials cannot be read. ' +
          'To keep it elsewhere, move it and set LAYERSYNC_VAULT_KEY_FILE.',
      );
    }
    store.attachVault(createStoreVault(resolved.vault, opts.registry));
    const sealed = store.resealSecrets();
    if (sealed.sites + sealed.destinations > 0) {
      opts.log.info(
        { sites: sealed.sites, destinations: sealed.destinations, keyId: resolved.vault.keyId },
        'sealed stored secrets with the current vault key',
      );
    }
    return { store, vault: resolved };
  } catch (err) {
    void store.close();
    throw err;
  }
}
