/**
 * Klaviyo Events API destination: one POST {origin}/api/events per event (JSON:API body, private
 * API key, dated revision), a few in flight at once. Every event gets Klaviyo's own answer
 * ('per-item'). Once Klaviyo refuses the key, asks to slow down or fails temporarily, the rest of
 * the batch is not sent: it is handed back for a later retry instead of hammering Klaviyo.
 */
import type { StandardEventName } from '../../contract/event.js';
import { diagnosis, notSentAfter, outcomeMessage } from '../shared/outcome.js';
import type { DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  KLAVIYO_CONCURRENCY,
  KLAVIYO_DEFAULT_ORIGIN,
  KLAVIYO_MAX_EVENT_AGE_SECONDS,
  KLAVIYO_MAX_EVENTS_PER_BATCH,
  KLAVIYO_REQUEST_TIMEOUT_MS,
  KLAVIYO_REVISION,
  klaviyoEventsUrl,
  klaviyoHeaders,
} from './api.js';
import { classifyKlaviyoResponse, classifyKlaviyoTransportError, type KlaviyoClassification } from './classify.js';
import { mapKlaviyoEvent } from './map.js';
import { klaviyoSettings, type KlaviyoSettings } from './settings.js';

/**
 * Canonical events → Klaviyo metric names (free text in Klaviyo; these follow the names the notes
 * suggest and Klaviyo's e-commerce integrations use, so Klaviyo's pre-built flows and reports
 * recognise them). If Klaviyo's own WooCommerce integration already sends "Placed Order" etc.,
 * rename these in the site's event map to avoid counting orders twice.
 */
export const KLAVIYO_DEFAULT_EVENT_MAP = {
  page_view: 'Viewed Page',
  view_item: 'Viewed Product',
  view_item_list: 'Viewed Collection',
  search: 'Searched Site',
  add_to_cart: 'Added to Cart',
  remove_from_cart: 'Removed from Cart',
  view_cart: 'Viewed Cart',
  begin_checkout: 'Started Checkout',
  add_shipping_info: 'Added Shipping Info',
  add_payment_info: 'Added Payment Info',
  purchase: 'Placed Order',
  refund: 'Refunded Order',
  lead: 'Submitted Lead',
  sign_up: 'Signed Up',
  subscribe: 'Subscribed',
  start_trial: 'Started Trial',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface KlaviyoDestinationOptions {
  timeoutMs?: number;
  /** Requests in flight at once; defaults to KLAVIYO_CONCURRENCY. */
  concurrency?: number;
}

/** Builds the Klaviyo destination; `klaviyo` is the registry's instance. */
export function createKlaviyoDestination(options: KlaviyoDestinationOptions = {}): Destination<KlaviyoSettings> {
  const timeoutMs = options.timeoutMs ?? KLAVIYO_REQUEST_TIMEOUT_MS;
  const concurrency = Math.max(1, options.concurrency ?? KLAVIYO_CONCURRENCY);

  async function post(body: unknown, ctx: SendContext<KlaviyoSettings>): Promise<KlaviyoClassification> {
    const apiKey = ctx.settings.private_api_key;
    const revision = ctx.settings.revision ?? KLAVIYO_REVISION;
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: klaviyoEventsUrl(ctx.baseUrl ?? KLAVIYO_DEFAULT_ORIGIN),
        headers: klaviyoHeaders(apiKey, revision),
        body: JSON.stringify(body),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyKlaviyoResponse(res, { apiKey, revision, nowMs: ctx.nowMs ?? Date.now() });
    } catch (err) {
      return classifyKlaviyoTransportError(err, { apiKey, timeoutMs, aborted: ctx.signal?.aborted === true });
    }
  }

  return {
    slug: 'klaviyo',
    label: 'Klaviyo',
    settings: klaviyoSettings,
    maxBatchSize: KLAVIYO_MAX_EVENTS_PER_BATCH,
    batchRejection: 'per-item',
    maxEventAgeSeconds: KLAVIYO_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: KLAVIYO_DEFAULT_EVENT_MAP,
    defaultBaseUrl: KLAVIYO_DEFAULT_ORIGIN,
    map: mapKlaviyoEvent,

    async send(payloads, ctx) {
      const outcomes: Array<DeliveryOutcome | undefined> = new Array(payloads.length).fill(undefined);
      let stop: DeliveryOutcome | undefined;
      let next = 0;
      const worker = async () => {
        while (stop === undefined && next < payloads.length) {
          const i = next++;
          const { outcome } = await post(payloads[i], ctx);
          outcomes[i] = outcome;
          // A refused key, a throttle or an outage applies to every later request too.
          if (stop === undefined && (outcome.kind === 'auth' || outcome.kind === 'retry')) stop = outcome;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, payloads.length) }, worker));
      return outcomes.map((o) => o ?? notSentAfter(stop!));
    },

    /**
     * Klaviyo has no test mode and reading anything needs scopes a send-only key lacks, so the
     * test posts a deliberately incomplete event (no metric, profile or properties). Klaviyo
     * checks the key and its scopes before the body: 401/403 mean the key is wrong, 400 means the
     * key may write events — and nothing was recorded. (That Klaviyo authenticates before it
     * validates is how its API behaves for other integrators; UNCONFIRMED in its docs.)
     */
    async testConnection(ctx) {
      const result = await post({ data: { type: 'event', attributes: {} } }, ctx);
      const { outcome, problem } = result;
      if (problem === 'rejected' && outcome.kind === 'drop' && outcome.status === 400) {
        return diagnosis(
          true,
          'ok',
          'Connected to Klaviyo: the private API key is valid and may write events (the test event was deliberately incomplete, so Klaviyo recorded nothing).',
        );
      }
      if (outcome.kind === 'delivered') {
        return diagnosis(true, 'ok', 'Connected to Klaviyo: the private API key is valid and may write events.');
      }
      return diagnosis(false, problem, outcomeMessage(outcome));
    },
  };
}

/** The Klaviyo Events API destination. */
export const klaviyo: Destination<KlaviyoSettings> = createKlaviyoDestination();
