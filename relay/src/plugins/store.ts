/**
 * Infrastructure: the store. Opens the SQLite file from the configuration unless a store is
 * injected (tests share one with their assertions), prunes expired replay-protection ids, and
 * closes the store last on shutdown (after the delivery worker, which is registered later).
 */
import fp from 'fastify-plugin';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
import './types.js';

export interface StorePluginOptions {
  dbPath: string;
  store?: Store;
  clock: () => number;
  /** How often expired request ids are deleted. */
  pruneIntervalMs?: number;
}

export default fp<StorePluginOptions>(
  async (app, opts) => {
    const owned = opts.store === undefined;
    const store = opts.store ?? openSqliteStore(opts.dbPath);
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
