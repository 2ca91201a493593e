/**
 * TikTok Events API 2.0 destination (server-side web events for a TikTok pixel).
 * Sources: /work/shared/platforms/meta-ga4-googleads-tiktok.md §4; see api.ts and map.ts.
 */
import type { HttpResponse } from '../../delivery/http.js';
import { sendInChunks } from '../shared/outcome.js';
import { redactSecrets } from '../shared/redact.js';
import type { ConnectionDiagnosis, DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  TIKTOK_DEFAULT_ORIGIN,
  TIKTOK_MAX_EVENTS_PER_REQUEST,
  TIKTOK_MAX_EVENT_AGE_SECONDS,
  TIKTOK_REQUEST_TIMEOUT_MS,
  classifyTiktokResponse,
  classifyTiktokTransportError,
  parseTiktokBody,
  tiktokHeaders,
  tiktokProblem,
  tiktokTrackUrl,
} from './api.js';
import { TIKTOK_DEFAULT_EVENT_MAP, mapTiktokEvent, type TiktokEvent, type TiktokTrackRequest } from './map.js';
import { tiktokSettings, type TiktokSettings } from './settings.js';

export type { TiktokSettings } from './settings.js';
export type { TiktokEvent, TiktokTrackRequest } from './map.js';
export { TIKTOK_DEFAULT_EVENT_MAP } from './map.js';

/** The request body for a batch of mapped events. */
export function tiktokTrackRequest(settings: TiktokSettings, data: TiktokEvent[]): TiktokTrackRequest {
  const body: TiktokTrackRequest = { event_source: 'web', event_source_id: settings.pixel_code, data };
  if (settings.test_event_code !== undefined) body.test_event_code = settings.test_event_code;
  return body;
}

export interface TiktokDestinationOptions {
  /** Per-request timeout; defaults to TIKTOK_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

type Posted = { ok: true; res: HttpResponse } | { ok: false; outcome: Extract<DeliveryOutcome, { kind: 'retry' }> };

async function post(body: TiktokTrackRequest, ctx: SendContext<TiktokSettings>, timeoutMs: number): Promise<Posted> {
  try {
    const res = await ctx.http.request({
      method: 'POST',
      url: tiktokTrackUrl(ctx.baseUrl ?? TIKTOK_DEFAULT_ORIGIN),
      headers: tiktokHeaders(ctx.settings.access_token),
      body: JSON.stringify(body),
      timeoutMs,
      signal: ctx.signal,
    });
    return { ok: true, res };
  } catch (err) {
    const outcome = classifyTiktokTransportError(err, { secrets: [ctx.settings.access_token], timeoutMs, aborted: ctx.signal?.aborted === true });
    return { ok: false, outcome };
  }
}

/** Sends mapped events, at most 1,000 per request; one outcome per payload, in order. */
export async function sendTiktokEvents(
  payloads: unknown[],
  ctx: SendContext<TiktokSettings>,
  timeoutMs: number = TIKTOK_REQUEST_TIMEOUT_MS,
): Promise<DeliveryOutcome[]> {
  // The worker never hands over more than maxBatchSize, but a caller that does still gets
  // correct requests rather than a guaranteed rejection.
  return sendInChunks(payloads as TiktokEvent[], TIKTOK_MAX_EVENTS_PER_REQUEST, async (chunk) => {
    const posted = await post(tiktokTrackRequest(ctx.settings, chunk), ctx, timeoutMs);
    const outcome: DeliveryOutcome = posted.ok
      ? classifyTiktokResponse(posted.res, {
          pixelCode: ctx.settings.pixel_code,
          secrets: [ctx.settings.access_token],
          nowMs: ctx.nowMs ?? Date.now(),
        })
      : posted.outcome;
    // TikTok accepts or refuses a request as a whole (T7): every event shares its outcome.
    return chunk.map(() => outcome);
  });
}

/** The event the connection test sends when a test event code routes it to Test events. */
export function tiktokConnectionTestEvent(nowMs: number): TiktokEvent {
  return {
    event: 'ViewContent',
    event_time: Math.floor(nowMs / 1000),
    event_id: `layersync-connection-test-${nowMs}`,
    user: {},
    limited_data_use: false,
  };
}

/**
 * TikTok has no validate-only mode for the Events API (UNCONFIRMED: none found). The clearest
 * check it allows:
 * - with a test event code, send one real test event; it shows up under Events Manager → Test
 *   events (notes §4.7) and proves token, pixel and body end to end;
 * - without one, send a request with an empty `data` array, which TikTok must refuse as invalid,
 *   so nothing is recorded. A token or pixel error means the credentials are wrong; an
 *   invalid-parameters answer means they got past TikTok's checks — assuming TikTok checks
 *   credentials before the body, which is UNCONFIRMED, so this result is reported as unverified.
 */
export async function testTiktokConnection(
  ctx: SendContext<TiktokSettings>,
  timeoutMs: number = TIKTOK_REQUEST_TIMEOUT_MS,
): Promise<ConnectionDiagnosis> {
  const nowMs = ctx.nowMs ?? Date.now();
  const { pixel_code: pixel, test_event_code: testCode, access_token: token } = ctx.settings;
  const withTestEvent = testCode !== undefined;
  const body = tiktokTrackRequest(ctx.settings, withTestEvent ? [tiktokConnectionTestEvent(nowMs)] : []);
  const posted = await post(body, ctx, timeoutMs);
  if (!posted.ok) {
    return { ok: false, code: 'unreachable', message: `${posted.outcome.error.replace(/; the events will be retried$/, '')}. Check the relay's network access and try again.` };
  }

  const { res } = posted;
  const parsed = parseTiktokBody(res.body);
  const tiktokSaid = parsed?.message ? ` (TikTok said: "${redactSecrets(parsed.message.slice(0, 300), [token])}")` : '';
  switch (tiktokProblem(res, parsed)) {
    case 'ok':
      return {
        ok: true,
        code: 'ok',
        message: withTestEvent
          ? `OK: TikTok accepted a test event for pixel ${pixel}; it appears in Events Manager → Test events (code ${testCode}).`
          : `OK: TikTok accepted the access token for pixel ${pixel}.`,
      };
    case 'invalid_token':
      return {
        ok: false,
        code: 'invalid_credentials',
        message: `TikTok says the access token is invalid${tiktokSaid}. Generate a new Events API access token in TikTok Events Manager → your pixel → Settings and save it here.`,
      };
    case 'pixel':
      return {
        ok: false,
        code: 'not_found',
        message: `TikTok did not find pixel code ${pixel} for this access token${tiktokSaid}. Check the pixel code in TikTok Events Manager, and that the token was generated for this pixel.`,
      };
    case 'rate_limited':
      return { ok: false, code: 'rate_limited', message: `TikTok is rate limiting requests right now${tiktokSaid}. Try the connection test again in a minute.` };
    case 'invalid_params':
      if (!withTestEvent) {
        // The expected answer to the empty probe: credentials passed, the (empty) body did not.
        return {
          ok: true,
          code: 'ok_unverified',
          message: `TikTok did not reject the access token or pixel code ${pixel}. For a complete check, add the test event code from Events Manager → Test events and test again: LayerSync then sends a real test event.`,
        };
      }
      return {
        ok: false,
        code: 'rejected',
        message: `TikTok accepted the credentials but refused the test event${tiktokSaid}. Check the test event code in Events Manager → Test events.`,
      };
    case 'rejected':
    case 'server':
    case 'unexpected':
      return {
        ok: false,
        code: 'platform_error',
        message: `TikTok could not answer the connection test (HTTP ${res.status}${parsed ? `, code ${parsed.code}` : ''})${tiktokSaid}. Try again later.`,
      };
  }
}

/** Builds the TikTok destination; `tiktok` is the instance the registry uses, tests pass shorter timeouts. */
export function createTiktokDestination(options: TiktokDestinationOptions = {}): Destination<TiktokSettings> {
  const timeoutMs = options.timeoutMs ?? TIKTOK_REQUEST_TIMEOUT_MS;
  return {
    slug: 'tiktok',
    label: 'TikTok Events API',
    settings: tiktokSettings,
    maxBatchSize: TIKTOK_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: TIKTOK_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: TIKTOK_DEFAULT_EVENT_MAP,
    defaultBaseUrl: TIKTOK_DEFAULT_ORIGIN,
    map: mapTiktokEvent,
    send: (payloads, ctx) => sendTiktokEvents(payloads, ctx, timeoutMs),
    testConnection: (ctx) => testTiktokConnection(ctx, timeoutMs),
  };
}

/** The TikTok Events API destination. */
export const tiktok: Destination<TiktokSettings> = createTiktokDestination();
