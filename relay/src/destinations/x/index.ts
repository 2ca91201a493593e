/**
 * X (Twitter) Conversion API destination: POST {origin}/{version}/measurement/conversions/{pixel_id}
 * with `{"conversions":[…]}`, signed with OAuth 1.0a (user context). X accepts or refuses a request
 * as a whole as far as its docs say, so every conversion of a request gets the request's outcome
 * and the worker bisects refused batches.
 */
import type { StandardEventName } from '../../contract/event.js';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { diagnosis, repeatOutcome, sendInChunks } from '../shared/outcome.js';
import type { ConnectionDiagnosis, Destination, SendContext } from '../types.js';
import {
  X_API_VERSION,
  X_DEFAULT_ORIGIN,
  X_MAX_EVENT_AGE_SECONDS,
  X_MAX_EVENTS_PER_REQUEST,
  X_REQUEST_TIMEOUT_MS,
  xAccountsUrl,
  xAuthorization,
  xConversionsUrl,
} from './api.js';
import { classifyXResponse, classifyXTransportError, type XClassification } from './classify.js';
import { mapXEvent } from './map.js';
import { xSettings, type XSettings } from './settings.js';

/**
 * Canonical events X can take. X has no standard names on the wire: each conversion carries the
 * ID of an event the advertiser created in Events Manager (settings.event_ids), so these values
 * are the Events Manager event types that fit (informational, used in messages only). refund is
 * left out: X has no way to take a conversion back.
 */
export const X_DEFAULT_EVENT_MAP = {
  page_view: 'Page View',
  view_item: 'Content View',
  search: 'Search',
  add_to_cart: 'Add to Cart',
  begin_checkout: 'Checkout Initiated',
  add_payment_info: 'Added Payment Info',
  purchase: 'Purchase',
  lead: 'Lead',
  sign_up: 'Sign Up',
  subscribe: 'Subscribe',
  start_trial: 'Start Trial',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface XDestinationOptions {
  timeoutMs?: number;
  /** Ads API version in the path; defaults to X_API_VERSION. */
  apiVersion?: string;
}

/** Builds the X destination; `x` is the registry's instance. */
export function createXDestination(options: XDestinationOptions = {}): Destination<XSettings> {
  const timeoutMs = options.timeoutMs ?? X_REQUEST_TIMEOUT_MS;
  const version = options.apiVersion ?? X_API_VERSION;

  async function call(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    ctx: SendContext<XSettings>,
  ): Promise<{ result: XClassification; res?: HttpResponse }> {
    const s = ctx.settings;
    const secrets = [s.consumer_secret, s.access_token_secret, s.access_token, s.consumer_key];
    const nowMs = ctx.nowMs ?? Date.now();
    try {
      const headers: Record<string, string> = { authorization: xAuthorization(s, { method, url }) };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await ctx.http.request({ method, url, headers, body, timeoutMs, signal: ctx.signal });
      return { res, result: classifyXResponse(res, { secrets, pixelId: s.pixel_id, version, nowMs }) };
    } catch (err) {
      return { result: classifyXTransportError(err, { secrets, timeoutMs, aborted: ctx.signal?.aborted === true }) };
    }
  }

  return {
    slug: 'x',
    label: 'X Conversion API',
    settings: xSettings,
    maxBatchSize: X_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: X_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: X_DEFAULT_EVENT_MAP,
    defaultBaseUrl: X_DEFAULT_ORIGIN,
    map: mapXEvent,

    async send(payloads, ctx) {
      const url = xConversionsUrl(ctx.baseUrl ?? X_DEFAULT_ORIGIN, ctx.settings.pixel_id, version);
      return sendInChunks(payloads, X_MAX_EVENTS_PER_REQUEST, async (chunk) => {
        // A fresh signature (nonce, timestamp) per request.
        const { outcome } = (await call('POST', url, JSON.stringify({ conversions: chunk }), ctx)).result;
        return repeatOutcome(outcome, chunk.length);
      });
    },

    /**
     * Lists the ad accounts the access token's user can reach (`GET /{version}/accounts`, signed
     * like every call): it proves all four credentials without sending a conversion — X has no
     * test mode (notes §9.8). The pixel id and the event ids are checked by X on the first send.
     */
    async testConnection(ctx) {
      const { res, result } = await call('GET', xAccountsUrl(ctx.baseUrl ?? X_DEFAULT_ORIGIN, version), undefined, ctx);
      if (res !== undefined && res.status === 200) {
        const accounts = accountList(parseJson(res.body));
        if (accounts !== undefined) return diagnoseAccounts(accounts, ctx.settings);
        return diagnosis(false, 'unexpected_response', 'X answered, but not with the list of ad accounts.');
      }
      const { outcome, problem } = result;
      return diagnosis(false, problem, 'error' in outcome ? outcome.error : `X answered HTTP ${res?.status ?? '?'} instead of the list of ad accounts.`);
    },
  };
}

/** The X Conversion API destination. */
export const x: Destination<XSettings> = createXDestination();

function accountList(json: unknown): Array<{ id: string; name: string }> | undefined {
  const data = (json as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  return data
    .filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null)
    .map((a) => ({ id: String(a.id ?? ''), name: String(a.name ?? '') }));
}

function diagnoseAccounts(accounts: Array<{ id: string; name: string }>, settings: XSettings): ConnectionDiagnosis {
  if (accounts.length === 0) {
    return diagnosis(
      false,
      'permission_denied',
      'X accepted the credentials, but the access token\'s user has no ad account. Use a token of a user with AD_MANAGER or ACCOUNT_ADMIN access to the ad account that owns the pixel.',
    );
  }
  const list = accounts.map((a) => (a.name === '' ? a.id : `${a.name} (${a.id})`)).join(', ');
  const events = Object.keys(settings.event_ids).sort().join(', ');
  return diagnosis(
    true,
    'ok',
    `Connected to the X Ads API: the access token's user can reach ad account(s) ${list}. Events set for: ${events}. X has no test mode, so pixel ${settings.pixel_id} and its event IDs are checked on the first conversion sent.`,
  );
}
