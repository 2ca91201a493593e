/**
 * Meta Conversions API destination: POST {origin}/{version}/{pixel_id}/events with
 * `{"data":[…server events…],"test_event_code"?}`. Meta accepts or rejects a request as a whole
 * (S1), so every event of a request gets the same outcome; the worker bisects rejected batches
 * (`batchRejection: 'all-or-nothing'`).
 */
import type { StandardEventName } from '../../contract/event.js';
import { parseJson } from '../shared/json.js';
import { diagnosis, outcomeMessage, repeatOutcome, sendInChunks } from '../shared/outcome.js';
import type { Destination, SendContext } from '../types.js';
import {
  META_DEFAULT_ORIGIN,
  META_GRAPH_API_VERSION,
  META_MAX_EVENT_AGE_SECONDS,
  META_MAX_EVENTS_PER_REQUEST,
  META_REQUEST_TIMEOUT_MS,
  metaAuthorization,
  metaEventsUrl,
  metaHeaders,
  metaPixelUrl,
} from './api.js';
import { classifyMetaResponse, classifyMetaTransportError, type MetaClassification } from './classify.js';
import { mapMetaEvent } from './map.js';
import { metaSettings, type MetaSettings } from './settings.js';

/**
 * Canonical → Meta standard events (S1.6 list: AddPaymentInfo, AddToCart, AddToWishlist,
 * CompleteRegistration, Contact, CustomizeProduct, Donate, FindLocation, InitiateCheckout, Lead,
 * Purchase, Schedule, Search, StartTrial, SubmitApplication, Subscribe, ViewContent, PageView).
 * Left out because Meta has no standard event for them: view_item_list, remove_from_cart,
 * view_cart, add_shipping_info, refund (no standard refund event; UNCONFIRMED how Meta wants
 * refunds reported). A site can still map them to custom events through its own event map.
 */
export const META_DEFAULT_EVENT_MAP = {
  page_view: 'PageView',
  view_item: 'ViewContent',
  add_to_cart: 'AddToCart',
  begin_checkout: 'InitiateCheckout',
  add_payment_info: 'AddPaymentInfo',
  purchase: 'Purchase',
  lead: 'Lead',
  sign_up: 'CompleteRegistration',
  search: 'Search',
  subscribe: 'Subscribe',
  start_trial: 'StartTrial',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface MetaDestinationOptions {
  /** Per-request timeout; defaults to META_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Graph API version; defaults to META_GRAPH_API_VERSION. */
  apiVersion?: string;
}

/** Builds the Meta destination; `meta` is the instance the registry uses, tests pass shorter timeouts. */
export function createMetaDestination(options: MetaDestinationOptions = {}): Destination<MetaSettings> {
  const timeoutMs = options.timeoutMs ?? META_REQUEST_TIMEOUT_MS;
  const version = options.apiVersion ?? META_GRAPH_API_VERSION;

  async function post(payloads: unknown[], ctx: SendContext<MetaSettings>): Promise<MetaClassification> {
    const { pixel_id, access_token, test_event_code } = ctx.settings;
    const body: { data: unknown[]; test_event_code?: string } = { data: payloads };
    if (test_event_code !== undefined) body.test_event_code = test_event_code;
    const nowMs = ctx.nowMs ?? Date.now();
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: metaEventsUrl(ctx.baseUrl ?? META_DEFAULT_ORIGIN, pixel_id, version),
        headers: metaHeaders(access_token),
        body: JSON.stringify(body),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyMetaResponse(res, { accessToken: access_token, pixelId: pixel_id, nowMs });
    } catch (err) {
      return classifyMetaTransportError(err, { accessToken: access_token, timeoutMs, aborted: ctx.signal?.aborted === true });
    }
  }

  return {
    slug: 'meta',
    label: 'Meta Conversions API',
    settings: metaSettings,
    maxBatchSize: META_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: META_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: META_DEFAULT_EVENT_MAP,
    defaultBaseUrl: META_DEFAULT_ORIGIN,
    map: mapMetaEvent,

    // Meta refuses a request of more than 1,000 events as a whole; every event of a request shares its outcome.
    send: (payloads, ctx) =>
      sendInChunks(payloads, META_MAX_EVENTS_PER_REQUEST, async (chunk) => repeatOutcome((await post(chunk, ctx)).outcome, chunk.length)),

    /**
     * Reads the pixel node (`GET /{pixel_id}?fields=id,name`): it proves the token is valid and
     * can see the pixel without creating an event — test_event_code events are processed like
     * real ones (S1), so sending one is not a side-effect-free check. UNCONFIRMED: that every
     * token generated in Events Manager may read the pixel node; a `permission_denied` answer
     * may therefore be stricter than what the events edge needs.
     */
    async testConnection(ctx) {
      const { pixel_id, access_token } = ctx.settings;
      const nowMs = ctx.nowMs ?? Date.now();
      let result: MetaClassification;
      try {
        const res = await ctx.http.request({
          method: 'GET',
          url: metaPixelUrl(ctx.baseUrl ?? META_DEFAULT_ORIGIN, pixel_id, version),
          headers: { authorization: metaAuthorization(access_token) },
          timeoutMs,
          signal: ctx.signal,
        });
        const node = res.status === 200 ? parseJson(res.body) : undefined;
        if (typeof node === 'object' && node !== null && String((node as { id?: unknown }).id) === pixel_id) {
          const name = (node as { name?: unknown }).name;
          return diagnosis(true, 'ok', connectedMessage(pixel_id, typeof name === 'string' ? name : undefined, ctx.settings.test_event_code));
        }
        result = classifyMetaResponse(res, { accessToken: access_token, pixelId: pixel_id, nowMs });
      } catch (err) {
        result = classifyMetaTransportError(err, { accessToken: access_token, timeoutMs, aborted: ctx.signal?.aborted === true });
      }
      const { outcome, problem } = result;
      const message = outcome.kind === 'delivered' ? `Meta answered, but not with pixel ${pixel_id}.` : outcomeMessage(outcome);
      return diagnosis(false, problem === 'ok' ? 'unexpected_response' : problem, message);
    },
  };
}

/** The Meta Conversions API destination. */
export const meta: Destination<MetaSettings> = createMetaDestination();

function connectedMessage(pixelId: string, name: string | undefined, testEventCode: string | undefined): string {
  const pixel = name === undefined ? `pixel ${pixelId}` : `pixel "${name}" (${pixelId})`;
  const test =
    testEventCode === undefined
      ? ''
      : ` Test event code ${testEventCode} is set: events appear under Events Manager → Test events (Meta still processes them).`;
  return `Connected to Meta ${pixel}.${test}`;
}
