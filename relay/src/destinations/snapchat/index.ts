/**
 * Snap Conversions API destination: POST {origin}/v3/{pixel_id}/events?access_token=… with
 * `{"data":[…events…]}`, or /events/validate in test mode. A production request is accepted or
 * refused as a whole (S3), so the worker bisects refused batches (`batchRejection:
 * 'all-or-nothing'`); the validation endpoint answers per event.
 *
 * The token is part of every URL (S1). This module never puts a URL into an outcome, and every
 * text it returns passes `redactSnapToken`.
 */
import type { StandardEventName } from '../../contract/event.js';
import { diagnosis, outcomeMessage, sendInChunks } from '../shared/outcome.js';
import type { Destination, SendContext } from '../types.js';
import {
  SNAP_DEFAULT_ORIGIN,
  SNAP_HEADERS,
  SNAP_MAX_EVENT_AGE_SECONDS,
  SNAP_MAX_EVENTS_PER_REQUEST,
  SNAP_REQUEST_TIMEOUT_MS,
  snapEventsUrl,
} from './api.js';
import { classifySnapResponse, classifySnapTransportError, type SnapClassification } from './classify.js';
import { mapSnapchatEvent, type SnapEvent } from './map.js';
import { snapchatSettings, type SnapchatSettings } from './settings.js';

/**
 * Canonical → Snap standard events (S2 via S6; the notes' mapping table). Left out: lead (Snap
 * v3 has no LEAD event; mapping it to SIGN_UP would merge it with sign_up, UNCONFIRMED), refund,
 * remove_from_cart, view_cart, add_shipping_info. A site can map them to CUSTOM_EVENT_1..5.
 */
export const SNAPCHAT_DEFAULT_EVENT_MAP = {
  page_view: 'PAGE_VIEW',
  view_item: 'VIEW_CONTENT',
  view_item_list: 'LIST_VIEW',
  search: 'SEARCH',
  add_to_cart: 'ADD_CART',
  begin_checkout: 'START_CHECKOUT',
  add_payment_info: 'ADD_BILLING',
  purchase: 'PURCHASE',
  sign_up: 'SIGN_UP',
  subscribe: 'SUBSCRIBE',
  start_trial: 'START_TRIAL',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface SnapchatDestinationOptions {
  timeoutMs?: number;
}

/** Builds the Snapchat destination; `snapchat` is the instance the registry uses. */
export function createSnapchatDestination(options: SnapchatDestinationOptions = {}): Destination<SnapchatSettings> {
  const timeoutMs = options.timeoutMs ?? SNAP_REQUEST_TIMEOUT_MS;

  async function post(payloads: unknown[], ctx: SendContext<SnapchatSettings>, validate: boolean): Promise<SnapClassification> {
    const { pixel_id, access_token } = ctx.settings;
    const nowMs = ctx.nowMs ?? Date.now();
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: snapEventsUrl(ctx.baseUrl ?? SNAP_DEFAULT_ORIGIN, pixel_id, access_token, { validate }),
        headers: { ...SNAP_HEADERS },
        body: JSON.stringify({ data: payloads }),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifySnapResponse(res, payloads.length, { accessToken: access_token, pixelId: pixel_id, nowMs, validate });
    } catch (err) {
      return classifySnapTransportError(err, payloads.length, { accessToken: access_token, timeoutMs, aborted: ctx.signal?.aborted === true });
    }
  }

  return {
    slug: 'snapchat',
    label: 'Snap Conversions API',
    settings: snapchatSettings,
    maxBatchSize: SNAP_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: SNAP_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: SNAPCHAT_DEFAULT_EVENT_MAP,
    defaultBaseUrl: SNAP_DEFAULT_ORIGIN,
    map: mapSnapchatEvent,

    send: (payloads, ctx) =>
      sendInChunks(payloads, SNAP_MAX_EVENTS_PER_REQUEST, async (chunk) => (await post(chunk, ctx, ctx.settings.test_mode === true)).outcomes),

    /**
     * Sends one synthetic page view to /events/validate, Snap's test event tool: it checks the
     * token against the pixel and the event without writing anything to production (S3). S3 notes
     * a long-lived token works there only if the pixel's organization generated it, which is
     * also what production needs.
     */
    async testConnection(ctx) {
      const { pixel_id } = ctx.settings;
      const nowMs = ctx.nowMs ?? Date.now();
      const probe: SnapEvent = {
        event_name: 'PAGE_VIEW',
        event_time: Math.floor(nowMs / 1000),
        action_source: 'WEB',
        event_id: `layersync-connection-test-${nowMs}`,
        event_source_url: 'https://layersync.invalid/connection-test',
        // 192.0.2.0/24 is reserved for documentation (RFC 5737): it matches nobody.
        user_data: { client_ip_address: '192.0.2.1', client_user_agent: 'LayerSync connection test' },
      };
      const { outcomes, problem } = await post([probe], ctx, true);
      const outcome = outcomes[0]!;
      if (outcome.kind === 'delivered') {
        const live = ctx.settings.test_mode ? ' Test mode is on: events go to Snap\'s validation endpoint and no conversion is recorded; turn it off to go live.' : '';
        return diagnosis(true, 'ok', `Connected to Snap Pixel ${pixel_id}: Snap validated a test event (nothing was recorded).${live}`);
      }
      return diagnosis(false, problem === 'ok' || problem === 'partially_rejected' ? 'rejected' : problem, outcomeMessage(outcome));
    },
  };
}

/** The Snap Conversions API destination. */
export const snapchat: Destination<SnapchatSettings> = createSnapchatDestination();
