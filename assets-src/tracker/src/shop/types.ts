/** Shared between the core and the shop feature module (tracker-shop.js). */
import type { TrackerConfig } from '../config';
import type { TrackProps } from '../types';

/** `window.LayerSyncShop`, set by tracker-shop.js: wires WooCommerce, forms and headless requests. */
export type ShopInstaller = (
  win: Window,
  config: TrackerConfig,
  track: (name: string, props: TrackProps) => unknown,
  /** localStorage while consent allows storing, else undefined. */
  storage: () => Storage | undefined,
) => void;
