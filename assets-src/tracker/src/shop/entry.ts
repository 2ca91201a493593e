/**
 * Entry of plugin/build/tracker-shop.js, the feature module the core loads on pages that have
 * something for it: WooCommerce, a supported form plugin, server-first events in the config, or
 * headless request patterns. It hands its installer to the core through a global.
 */
import type { PageEvent } from '../config';
import { createStamps } from '../lock';
import { watchCommerce } from './commerce';
import { watchRequests } from './headless';
import type { ShopInstaller } from './types';

/** Server-first events already recorded on an earlier view of the page are remembered this long (purchase retention). */
export const FIRED_MS = 30 * 864e5;

export const installShop: ShopInstaller = (win, config, track, storage) => {
  const fired = createStamps('layersync:p', storage);
  /** An event the server already recorded: the browser half and the pixels, once per event id (a revisited thank-you page stays silent). */
  const serverFirst = (e: PageEvent): void => {
    const id = String(e.event_id);
    if (fired.has(id)) return;
    fired.add([id], FIRED_MS);
    const { event_name, ...props } = e;
    track(String(event_name), props);
  };
  const rules = { ...config.headless };
  // The cart and product blocks add to cart through the Store API.
  if (config.woocommerce !== false) rules.add_to_cart = (rules.add_to_cart || []).concat('/cart/add-item');
  watchRequests(win, rules, track, config.endpoint);
  watchCommerce(win, config, track, serverFirst);
};

(window as unknown as { LayerSyncShop: ShopInstaller }).LayerSyncShop = installShop;
