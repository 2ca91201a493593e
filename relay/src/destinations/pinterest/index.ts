/**
 * Pinterest API for Conversions destination: POST {origin}/v5/ad_accounts/{ad_account_id}/events
 * with `{"data":[…events…]}`, `?test=true` in test mode. Pinterest reports each event's status
 * (P1), so a request can be partly delivered (`batchRejection: 'per-item'`). Its JSON-schema check
 * is the exception: an unknown key or a wrong type fails the whole request with HTTP 400 and no
 * per-event status, so `send` splits such a request to keep one bad event from sinking the rest.
 */
import type { StandardEventName } from '../../contract/event.js';
import { diagnosis, outcomeMessage, sendInChunks } from '../shared/outcome.js';
import type { DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  PINTEREST_DEFAULT_ORIGIN,
  PINTEREST_MAX_EVENT_AGE_SECONDS,
  PINTEREST_MAX_EVENTS_PER_REQUEST,
  PINTEREST_REQUEST_TIMEOUT_MS,
  pinterestEventsUrl,
  pinterestHeaders,
} from './api.js';
import { classifyPinterestResponse, classifyPinterestTransportError, type PinterestClassification } from './classify.js';
import { mapPinterestEvent, type PinterestEvent } from './map.js';
import { pinterestSettings, type PinterestSettings } from './settings.js';

/**
 * Canonical → Pinterest event names (P1, P2; the notes' mapping table). view_content,
 * initiate_checkout, add_payment_info, subscribe and start_trial are the newer names (see
 * PINTEREST_EVENT_NAMES); mapping view_item to page_visit instead would count every product page
 * twice next to page_view. Left out, having no Pinterest event: remove_from_cart, view_cart,
 * add_shipping_info, refund (UNCONFIRMED how Pinterest wants refunds). A site can still map them,
 * e.g. to `custom`, through its own event map.
 */
export const PINTEREST_DEFAULT_EVENT_MAP = {
  page_view: 'page_visit',
  view_item: 'view_content',
  view_item_list: 'view_category',
  search: 'search',
  add_to_cart: 'add_to_cart',
  begin_checkout: 'initiate_checkout',
  add_payment_info: 'add_payment_info',
  purchase: 'checkout',
  lead: 'lead',
  sign_up: 'signup',
  subscribe: 'subscribe',
  start_trial: 'start_trial',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface PinterestDestinationOptions {
  /** Per-request timeout; defaults to PINTEREST_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Most requests one `send` may make while splitting requests Pinterest refused with HTTP 400
   * (default 32), so a problem shared by every event cannot turn into thousands of calls
   * against the 5,000-per-minute limit (P1).
   */
  maxSplitRequests?: number;
}

/** Builds the Pinterest destination; `pinterest` is the instance the registry uses. */
export function createPinterestDestination(options: PinterestDestinationOptions = {}): Destination<PinterestSettings> {
  const timeoutMs = options.timeoutMs ?? PINTEREST_REQUEST_TIMEOUT_MS;
  const maxSplitRequests = options.maxSplitRequests ?? 32;

  async function post(payloads: unknown[], ctx: SendContext<PinterestSettings>, test: boolean): Promise<PinterestClassification> {
    const { ad_account_id, access_token } = ctx.settings;
    const nowMs = ctx.nowMs ?? Date.now();
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: pinterestEventsUrl(ctx.baseUrl ?? PINTEREST_DEFAULT_ORIGIN, ad_account_id, { test }),
        headers: pinterestHeaders(access_token),
        body: JSON.stringify({ data: payloads }),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyPinterestResponse(res, payloads.length, { accessToken: access_token, adAccountId: ad_account_id, nowMs, test });
    } catch (err) {
      return classifyPinterestTransportError(err, payloads.length, {
        accessToken: access_token,
        timeoutMs,
        aborted: ctx.signal?.aborted === true,
      });
    }
  }

  return {
    slug: 'pinterest',
    label: 'Pinterest API for Conversions',
    settings: pinterestSettings,
    maxBatchSize: PINTEREST_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'per-item',
    maxEventAgeSeconds: PINTEREST_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: PINTEREST_DEFAULT_EVENT_MAP,
    defaultBaseUrl: PINTEREST_DEFAULT_ORIGIN,
    map: mapPinterestEvent,

    async send(payloads, ctx) {
      const test = ctx.settings.test_mode === true;
      let splitBudget = maxSplitRequests;
      // A 400 names no event: halve the request until the refused events stand alone.
      const sendSplitting = async (chunk: unknown[]): Promise<DeliveryOutcome[]> => {
        const result = await post(chunk, ctx, test);
        if (!result.wholeRequestRejected || chunk.length < 2 || splitBudget < 2) return result.outcomes;
        splitBudget -= 2;
        const mid = Math.ceil(chunk.length / 2);
        const left = await sendSplitting(chunk.slice(0, mid));
        const right = await sendSplitting(chunk.slice(mid));
        return [...left, ...right];
      };
      return sendInChunks(payloads, PINTEREST_MAX_EVENTS_PER_REQUEST, sendSplitting);
    },

    /**
     * Sends one synthetic page visit with `?test=true`, which Pinterest validates and answers like
     * a real request without recording it (P1): this proves the token, the ad account and the
     * token's role on it, with no side effect.
     */
    async testConnection(ctx) {
      const { ad_account_id } = ctx.settings;
      const nowMs = ctx.nowMs ?? Date.now();
      const probe: PinterestEvent = {
        event_name: 'page_visit',
        action_source: 'web',
        event_time: Math.floor(nowMs / 1000),
        event_id: `layersync-connection-test-${nowMs}`,
        // 192.0.2.0/24 is reserved for documentation (RFC 5737): it matches nobody.
        user_data: { client_ip_address: '192.0.2.1', client_user_agent: 'LayerSync connection test' },
      };
      const { outcomes, problem } = await post([probe], ctx, true);
      const outcome = outcomes[0]!;
      if (outcome.kind === 'delivered') {
        const live = ctx.settings.test_mode
          ? ' Test mode is on: Pinterest checks every event but records none; turn it off to go live.'
          : '';
        return diagnosis(true, 'ok', `Connected to Pinterest ad account ${ad_account_id}: a test event was accepted (test mode, nothing recorded).${live}`);
      }
      return diagnosis(false, problem === 'ok' || problem === 'partially_rejected' ? 'rejected' : problem, outcomeMessage(outcome));
    },
  };
}

/** The Pinterest API for Conversions destination. */
export const pinterest: Destination<PinterestSettings> = createPinterestDestination();
