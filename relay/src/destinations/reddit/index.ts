/**
 * Reddit Conversions API v3 destination: POST {origin}/api/v3/pixels/{pixel_id}/conversion_events
 * with `{"data":{"events":[…],"test_id"?}}`, a Bearer token and a descriptive User-Agent. One
 * invalid event refuses the whole request (R1), so the mapper validates every event first and the
 * worker bisects batches refused without naming the culprit (`batchRejection: 'all-or-nothing'`).
 */
import type { StandardEventName } from '../../contract/event.js';
import { diagnosis, sendInChunks } from '../shared/outcome.js';
import type { Destination, SendContext } from '../types.js';
import {
  REDDIT_DEFAULT_ORIGIN,
  REDDIT_MAX_EVENT_AGE_SECONDS,
  REDDIT_MAX_EVENTS_PER_REQUEST,
  REDDIT_REQUEST_TIMEOUT_MS,
  redditEventsUrl,
  redditHeaders,
} from './api.js';
import { classifyRedditResponse, classifyRedditTransportError, type RedditClassification } from './classify.js';
import { mapRedditEvent, type RedditEvent } from './map.js';
import { redditSettings, type RedditSettings } from './settings.js';

/**
 * Canonical → Reddit v3 tracking types (R1; the notes' mapping table). begin_checkout and
 * add_payment_info have no Reddit type and go as custom events under their canonical names.
 * Left out: view_item_list, remove_from_cart, view_cart, add_shipping_info, refund, subscribe,
 * start_trial. Reddit no longer optimizes for VIEW_CONTENT and SEARCH goals (since 2025-06-01, R3)
 * but still uses them for audiences, so they stay mapped.
 */
export const REDDIT_DEFAULT_EVENT_MAP = {
  page_view: 'PAGE_VISIT',
  view_item: 'VIEW_CONTENT',
  search: 'SEARCH',
  add_to_cart: 'ADD_TO_CART',
  begin_checkout: 'begin_checkout',
  add_payment_info: 'add_payment_info',
  purchase: 'PURCHASE',
  lead: 'LEAD',
  sign_up: 'SIGN_UP',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface RedditDestinationOptions {
  timeoutMs?: number;
}

/** Builds the Reddit destination; `reddit` is the instance the registry uses. */
export function createRedditDestination(options: RedditDestinationOptions = {}): Destination<RedditSettings> {
  const timeoutMs = options.timeoutMs ?? REDDIT_REQUEST_TIMEOUT_MS;

  async function post(events: unknown[], ctx: SendContext<RedditSettings>): Promise<RedditClassification> {
    const { pixel_id, access_token, test_id } = ctx.settings;
    const nowMs = ctx.nowMs ?? Date.now();
    const data: { events: unknown[]; test_id?: string } = { events };
    if (test_id !== undefined) data.test_id = test_id;
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: redditEventsUrl(ctx.baseUrl ?? REDDIT_DEFAULT_ORIGIN, pixel_id),
        headers: redditHeaders(access_token),
        body: JSON.stringify({ data }),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyRedditResponse(res, events.length, { accessToken: access_token, pixelId: pixel_id, nowMs });
    } catch (err) {
      return classifyRedditTransportError(err, events.length, { accessToken: access_token, timeoutMs, aborted: ctx.signal?.aborted === true });
    }
  }

  return {
    slug: 'reddit',
    label: 'Reddit Conversions API',
    settings: redditSettings,
    maxBatchSize: REDDIT_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: REDDIT_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: REDDIT_DEFAULT_EVENT_MAP,
    defaultBaseUrl: REDDIT_DEFAULT_ORIGIN,
    map: mapRedditEvent,

    async send(payloads, ctx) {
      // Event Testing shows only requests with a single event (R1), so a test ID sends one at a time.
      const size = ctx.settings.test_id !== undefined ? 1 : REDDIT_MAX_EVENTS_PER_REQUEST;
      return sendInChunks(payloads, size, async (chunk) => (await post(chunk, ctx)).outcomes);
    },

    /**
     * Reddit has no validate-only endpoint. With a test ID, one synthetic page visit goes to
     * Event Testing, where the merchant can see it arrive. Without one, the check sends an event
     * with no tracking type, which Reddit documents as invalid (400, "None were processed", R1):
     * that answer proves the token and the pixel were accepted while nothing was recorded.
     * UNCONFIRMED: that Reddit checks the token and pixel before it validates events; a 401 or 403
     * is read as a credential problem either way.
     */
    async testConnection(ctx) {
      const { pixel_id, test_id } = ctx.settings;
      const nowMs = ctx.nowMs ?? Date.now();
      const conversionId = `layersync-connection-test-${nowMs}`;
      const probe: RedditEvent | Record<string, unknown> =
        test_id !== undefined
          ? ({
              event_at: nowMs - (nowMs % 1000),
              action_source: 'WEBSITE',
              type: { tracking_type: 'PAGE_VISIT' },
              metadata: { conversion_id: conversionId },
              user: { ip_address: '192.0.2.1', user_agent: 'LayerSync connection test' },
            } satisfies RedditEvent)
          : { event_at: nowMs - (nowMs % 1000), action_source: 'WEBSITE', type: {}, metadata: { conversion_id: conversionId } };
      const { outcomes, problem } = await post([probe], ctx);
      const outcome = outcomes[0]!;
      if (test_id !== undefined && outcome.kind === 'delivered') {
        return diagnosis(true, 'ok', `Connected to Reddit pixel ${pixel_id}: a test page visit was sent with test ID ${test_id}; it should appear in Events Manager → Event Testing within seconds.`);
      }
      if (test_id === undefined && outcome.kind === 'drop' && outcome.status === 400) {
        return diagnosis(
          true,
          'ok',
          `Connected to Reddit pixel ${pixel_id}: Reddit accepted the access token and checked a deliberately incomplete test event without recording anything. To watch real test events arrive, add a test ID from Events Manager → Event Testing.`,
        );
      }
      if (test_id === undefined && outcome.kind === 'delivered') {
        return diagnosis(true, 'ok', `Connected to Reddit pixel ${pixel_id}, although Reddit accepted an incomplete test event.`);
      }
      const message = 'error' in outcome ? outcome.error : `Reddit answered the connection test unexpectedly (${outcome.kind}).`;
      return diagnosis(false, problem === 'ok' ? 'unexpected_response' : problem, message);
    },
  };
}

/** The Reddit Conversions API destination. */
export const reddit: Destination<RedditSettings> = createRedditDestination();
