/**
 * Infrastructure: the store. Opens the SQLite file from the configuration unless a store is
 * injected (tests share one with their assertions), prunes expired replay-protection ids, and
 * closes the store last on shutdown (after the delivery worker, which is registered later).
 */
import fp from 'fastify-plugin';
import type { DestinationRegistry } from '../destinations/registry.js';
import type { Store } from '../store/types.js';
import type { VaultKeyConfig } from '../vault/keyring.js';
import { openVaultedStore } from '../vault/open.js';
import './types.js';

export interface StorePluginOptions {
  dbPath: string;
  store?: Store;
  clock: () => number;
  /** How often expired request ids are deleted. */
  pruneIntervalMs?: number;
  /** Where the vault key comes from (an opened store seals secrets at rest; an injected one is used as is). */
  vault?: VaultKeyConfig;
  /** Tells the vault which destination settings are secret. */
  registry?: Partial<DestinationRegistry>;
  /** Commit ingest on a worker thread (an opened file store only; default true). */
  ingestThread?: boolean;
}

export default fp<StorePluginOptions>(
  async (app, opts) => {
    const owned = opts.store === undefined;
    let store: Store;
    if (opts.store) store = opts.store;
    else {
      const opened = openVaultedStore({ dbPath: opts.dbPath, vault: opts.vault ?? {}, registry: opts.registry ?? {}, log: app.log.child({ component: 'vault' }) })
        .store;
      if (opts.ingestThread ?? true) opened.startIngestThread((err) => app.log.error({ err }, 'the ingest thread failed; a new one takes over'));
      store = opened;
    }
    app.decorate('store', store);
    app.decorate('clock', opts.clock);

    const prune = setInterval(() => {
      store.pruneRequestIds(opts.clock()).catch((err: unknown) => app.log.warn({ err }, 'could not prune request ids'));
    }, opts.pruneIntervalMs ?? 60_000);
    prune.unref();

    app.addHook('onClose', async () => {
      clearInterval(prune);
      if (owned) await store.close();
    });
  },
  { name: 'layersync-store' },
);
