/**
 * Signed webhook destination: POSTs each event to the merchant's endpoint, signed per Standard
 * Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). One request per event, one
 * after another in the worker's order; once the endpoint fails in a way that will hit the next
 * event too (unreachable, 5xx, 429, refused signature), the rest of the batch is handed back
 * unsent for a later retry instead of hammering it.
 */
import { STANDARD_EVENT_NAMES, type StandardEventName } from '../../contract/event.js';
import { diagnosis, notSentAfter, outcomeMessage } from '../shared/outcome.js';
import type { DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  WEBHOOK_DEFAULT_ORIGIN,
  WEBHOOK_MAX_EVENT_AGE_SECONDS,
  WEBHOOK_MAX_EVENTS_PER_BATCH,
  WEBHOOK_TEST_EVENT_TYPE,
  WEBHOOK_TIMEOUT_MS,
  webhookHeaders,
  webhookTargetUrl,
} from './api.js';
import { classifyWebhookResponse, classifyWebhookTransportError, type WebhookClassification } from './classify.js';
import { mapWebhookEvent, type WebhookMessage } from './map.js';
import { webhookSettings, type WebhookSettings } from './settings.js';

/** Every standard event is forwarded under its own name (the body says which it is). */
export const WEBHOOK_DEFAULT_EVENT_MAP = Object.fromEntries(STANDARD_EVENT_NAMES.map((n) => [n, n])) as Record<StandardEventName, string>;

export interface WebhookDestinationOptions {
  timeoutMs?: number;
}

/** Builds the webhook destination; `webhook` is the registry's instance. */
export function createWebhookDestination(options: WebhookDestinationOptions = {}): Destination<WebhookSettings> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;

  async function post(message: WebhookMessage, ctx: SendContext<WebhookSettings>, clock: () => number): Promise<WebhookClassification> {
    const s = ctx.settings;
    const secrets = s.previous_secret === undefined ? [s.secret] : [s.secret, s.previous_secret];
    const url = webhookTargetUrl(s.url, ctx.baseUrl);
    const host = new URL(s.url).host;
    const nowMs = clock();
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url,
        // webhook-timestamp is the time of THIS attempt (S); the id stays the event's.
        headers: webhookHeaders(secrets, message.id, Math.floor(nowMs / 1000), message.body),
        body: message.body,
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyWebhookResponse(res, { secrets, host, nowMs });
    } catch (err) {
      return classifyWebhookTransportError(err, { secrets, host, timeoutMs, aborted: ctx.signal?.aborted === true });
    }
  }

  /** ctx.nowMs pins the clock for tests; time still moves on during a long batch. */
  function clockFor(ctx: SendContext<WebhookSettings>): () => number {
    const started = Date.now();
    return () => (ctx.nowMs ?? started) + (Date.now() - started);
  }

  return {
    slug: 'webhook',
    label: 'Signed webhook',
    settings: webhookSettings,
    maxBatchSize: WEBHOOK_MAX_EVENTS_PER_BATCH,
    batchRejection: 'per-item',
    maxEventAgeSeconds: WEBHOOK_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: WEBHOOK_DEFAULT_EVENT_MAP,
    defaultBaseUrl: WEBHOOK_DEFAULT_ORIGIN,
    map: mapWebhookEvent,

    async send(payloads, ctx) {
      const clock = clockFor(ctx);
      const outcomes: DeliveryOutcome[] = [];
      let stop: DeliveryOutcome | undefined;
      for (const payload of payloads) {
        if (stop !== undefined) {
          outcomes.push(notSentAfter(stop));
          continue;
        }
        const { outcome } = await post(payload as WebhookMessage, ctx, clock);
        outcomes.push(outcome);
        if (outcome.kind === 'retry' || outcome.kind === 'auth') stop = outcome;
      }
      return outcomes;
    },

    /** Posts a signed `layersync.test` ping; any 2xx means the endpoint verified and accepted it. */
    async testConnection(ctx) {
      const clock = clockFor(ctx);
      const nowMs = clock();
      const body = JSON.stringify({
        type: WEBHOOK_TEST_EVENT_TYPE,
        timestamp: new Date(nowMs).toISOString(),
        data: { message: 'LayerSync connection test. Verify the signature and answer with any 2xx.' },
      });
      const { outcome, problem } = await post({ id: `msg_test_${nowMs}`, body }, ctx, clock);
      const host = new URL(ctx.settings.url).host;
      if (outcome.kind === 'delivered') {
        return diagnosis(true, 'ok', `The webhook endpoint at ${host} accepted a signed ${WEBHOOK_TEST_EVENT_TYPE} ping (HTTP ${outcome.status}).`);
      }
      return diagnosis(false, problem, outcomeMessage(outcome));
    },
  };
}

/** The signed webhook destination. */
export const webhook: Destination<WebhookSettings> = createWebhookDestination();
