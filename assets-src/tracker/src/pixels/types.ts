/** Shared between the core (which loads the pixel chunk) and the chunk (tracker-pixels.js). */
import type { Commerce, Consent, Identity, Properties } from '../types';

/**
 * `LayerSyncConfig.pixels`: one entry per platform whose browser pixel is on. Server delivery
 * is toggled separately (on the relay), so a platform may be server-only, browser-only or both.
 */
export interface PixelsConfig {
  /** Meta pixel id. */
  meta?: { id: string };
  /** Google tag ids ("G-…" GA4, "AW-…" Google Ads); conversions: event name → "AW-…/label". */
  google?: { ids: string[]; conversions?: Record<string, string> };
  tiktok?: { id: string };
  /** Pinterest tag id. */
  pinterest?: { id: string };
  /** Snap pixel id. */
  snapchat?: { id: string };
  /** Insight Tag partner id; conversions: event name → conversion rule id. */
  linkedin?: { id: string; conversions?: Record<string, number | string> };
  /** Reddit pixel id (a2_…). */
  reddit?: { id: string };
  /** X base pixel id; events: event name → event tag id (tw-<pixel>-<event>). */
  x?: { id: string; events?: Record<string, string> };
}

export type Platform = keyof PixelsConfig;

/**
 * What the core hands the pixels: the recorded event, whose event_id is the platforms' dedup key
 * and whose identity holds hashed identifiers and first-party ids.
 */
export interface PixelEvent {
  event_name: string;
  event_id: string;
  commerce?: Commerce | undefined;
  properties?: Properties | undefined;
  identity: Identity;
}

export interface Pixels {
  track(event: PixelEvent): void;
  /** Consent changed: a platform no longer allowed is told (where it has an API) and gets no more calls. */
  consent(consent: Consent): void;
}

/** `window.LayerSyncPixels`, set by tracker-pixels.js. */
export type PixelsFactory = (win: Window, config: PixelsConfig, consent: Consent, identity: Identity) => Pixels;
