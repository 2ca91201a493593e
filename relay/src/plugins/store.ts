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
  /** Delete events this many days after arrival (0 or unset: keep them). */
  retentionDays?: number;
  /** How often the retention sweep runs (default hourly; the first run is a minute after start). */
  retentionIntervalMs?: number;
}

export default fp<StorePluginOptions>(
  async (app, opts) => {
    const owned = opts.store === undefined;
    let store: Store;
    if (opts.store) store = opts.store;
    else {
      store = openVaultedStore({ dbPath: opts.dbPath, vault: opts.vault ?? {}, registry: opts.registry ?? {}, log: app.log.child({ component: 'vault' }) }).store;
    }
    app.decorate('store', store);
    app.decorate('clock', opts.clock);

    const prune = setInterval(() => {
      store.pruneRequestIds(opts.clock()).catch((err: unknown) => app.log.warn({ err }, 'could not prune request ids'));
    }, opts.pruneIntervalMs ?? 60_000);
    prune.unref();

    // Retention: the oldest events go first, in slices, so a large backlog never holds the
    // event loop for long; events with a delivery still due are kept until it is made.
    const retentionMs = (opts.retentionDays ?? 0) * 86_400_000;
    let sweeping = false;
    const sweep = async (): Promise<void> => {
      if (sweeping || retentionMs <= 0) return;
      sweeping = true;
      try {
        const total = { events: 0, deliveries: 0 };
        for (let more = true; more; ) {
          const r = await store.pruneEvents(opts.clock() - retentionMs, 2000);
          total.events += r.events;
          total.deliveries += r.deliveries;
          more = r.more;
          if (more) await new Promise((resolve) => setImmediate(resolve));
        }
        if (total.events > 0) app.log.info({ ...total, retentionDays: opts.retentionDays }, 'retention: deleted events older than the retention period');
      } catch (err) {
        app.log.warn({ err }, 'retention sweep failed; it runs again later');
      } finally {
        sweeping = false;
      }
    };
    app.decorate('sweepRetention', sweep);
    const timers: NodeJS.Timeout[] = [];
    if (retentionMs > 0) {
      timers.push(setTimeout(() => void sweep(), Math.min(60_000, opts.retentionIntervalMs ?? 60_000)));
      timers.push(setInterval(() => void sweep(), opts.retentionIntervalMs ?? 3_600_000));
      for (const t of timers) t.unref();
    }

    app.addHook('onClose', async () => {
      for (const t of timers) clearTimeout(t);
      clearInterval(prune);
      if (owned) await store.close();
    });
  },
  { name: 'layersync-store' },
);
