/**
 * Turns Klaviyo's answers into LayerSync delivery outcomes. Klaviyo answers errors with JSON:API
 * {"errors":[{"id","status","code","title","detail","source":{"pointer"|"parameter"}}]} (K1
 * ClientError/ServerError schemas); Create Event succeeds with 202 and an empty body, meaning
 * "validated and queued", not processed (K1). 400 `invalid` is a payload problem, 401/403 a bad
 * key or a key without events:write (notes §6, Segment's docs PR), 429 carries Retry-After (K2).
 *
 * Sources: /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §6.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import type { DeliveryOutcome } from '../types.js';

const errorsSchema = z
  .object({
    errors: z
      .array(
        z
          .object({
            code: z.string().optional(),
            title: z.string().optional(),
            detail: z.string().optional(),
            source: z.object({ pointer: z.string().optional(), parameter: z.string().optional() }).loose().optional(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();
type KlaviyoError = z.infer<typeof errorsSchema>['errors'][number];

/** ok, invalid_credentials, permission_denied, outdated_api_version, rate_limited, unavailable, unreachable, timeout, rejected. */
export type KlaviyoProblem =
  | 'ok'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'outdated_api_version'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected';

export interface KlaviyoClassification {
  outcome: DeliveryOutcome;
  problem: KlaviyoProblem;
  /** Klaviyo's first error, for callers that need more than the outcome (the connection test). */
  errors?: KlaviyoError[];
}

export interface ClassifyContext {
  apiKey: string;
  revision: string;
  nowMs: number;
}

const NEW_KEY =
  'create a Private API key in Klaviyo (Settings → API keys) with Events set to Full access (events:write) and save it in LayerSync.';

/** Classifies Klaviyo's answer to one Create Event request. */
export function classifyKlaviyoResponse(res: HttpResponse, ctx: ClassifyContext): KlaviyoClassification {
  const status = res.status;
  if (status >= 200 && status < 300) return { problem: 'ok', outcome: { kind: 'delivered', status } };

  const parsed = errorsSchema.safeParse(parseJson(res.body));
  const errors = parsed.success ? parsed.data.errors : undefined;
  const codes = errors ? [...new Set(errors.map((e) => e.code).filter((c): c is string => !!c))].join(', ') : '';
  const ref = codes === '' ? `HTTP ${status}` : `HTTP ${status}, ${codes}`;
  const words = errors ? errors.map(describe).join('; ') : parseJson(res.body) === undefined ? res.body.replace(/\s+/g, ' ').trim() : '';
  const text = sentence(scrub(words, ctx.apiKey));
  const detail = text === '' ? '' : ` ${text}`;
  const base = { errors };

  if (status === 401) {
    return { ...base, problem: 'invalid_credentials', outcome: { kind: 'auth', status, error: `Klaviyo rejected the private API key (${ref}).${detail} — ${NEW_KEY}` } };
  }
  if (status === 403) {
    return {
      ...base,
      problem: 'permission_denied',
      outcome: { kind: 'auth', status, error: `Klaviyo refused permission (${ref}).${detail} — the key needs the events:write scope: ${NEW_KEY}` },
    };
  }
  // A retired or unknown revision fails every request the same way (wording UNCONFIRMED).
  if (status === 400 && errors?.some((e) => e.source?.parameter === 'revision' || /revision/i.test(`${e.title ?? ''} ${e.detail ?? ''}`))) {
    return {
      ...base,
      problem: 'outdated_api_version',
      outcome: {
        kind: 'auth',
        status,
        error: `Klaviyo does not accept API revision ${ctx.revision} (${ref}).${detail} — update the LayerSync relay, or set the revision setting to one Klaviyo supports.`,
      },
    };
  }
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (status === 429) {
    return {
      ...base,
      problem: 'rate_limited',
      outcome: withRetryAfter({ kind: 'retry', status, error: `Klaviyo is rate limiting requests (${ref}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` }, retryAfterMs),
    };
  }
  if (status >= 500 || status === 408) {
    return {
      ...base,
      problem: 'unavailable',
      outcome: withRetryAfter({ kind: 'retry', status, error: `Klaviyo had a temporary problem (${ref}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` }, retryAfterMs),
    };
  }
  return { ...base, problem: 'rejected', outcome: { kind: 'drop', status, error: `Klaviyo rejected the event (${ref}).${detail}` } };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyKlaviyoTransportError(err: unknown, opts: { apiKey: string; timeoutMs: number; aborted: boolean }): KlaviyoClassification {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { problem: 'timeout', outcome: { kind: 'retry', error: `Klaviyo did not answer within ${formatMs(opts.timeoutMs)}; LayerSync will retry.` } };
  }
  if (opts.aborted) return { problem: 'unreachable', outcome: { kind: 'retry', error: 'Sending to Klaviyo was interrupted (the relay is stopping); LayerSync will retry.' } };
  const message = scrub(err instanceof Error ? err.message : String(err), opts.apiKey);
  return { problem: 'unreachable', outcome: { kind: 'retry', error: `Could not reach Klaviyo (${code ?? 'network error'}: ${message}); LayerSync will retry.` } };
}

/** "title: detail (at /data/attributes/profile)". */
function describe(e: KlaviyoError): string {
  const words = [e.title, e.detail].filter((w): w is string => !!w && w.trim() !== '');
  // Klaviyo's title often repeats in the detail ("Invalid input." / "…"): keep both only when they differ.
  const text = words.length === 2 && words[1]!.startsWith(words[0]!.replace(/\.$/, '')) ? words[1]! : words.join(' ').replace(/\.\s*$/, '');
  // A pointer to the whole document ("/data/") says nothing; a field's pointer does.
  const pointer = e.source?.pointer !== undefined && !/^\/data\/?$/.test(e.source.pointer) ? e.source.pointer : undefined;
  const where = pointer ?? (e.source?.parameter !== undefined ? `parameter ${e.source.parameter}` : undefined);
  return where === undefined ? text.replace(/\.$/, '') : `${text.replace(/\.$/, '')} (at ${where})`;
}

export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): number | undefined {
  const ra = headers['retry-after']?.trim();
  if (!ra) return undefined;
  if (/^\d+$/.test(ra)) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function withRetryAfter(outcome: Extract<DeliveryOutcome, { kind: 'retry' }>, retryAfterMs: number | undefined): DeliveryOutcome {
  return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
}

function retryNote(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${formatMs(ms)}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function sentence(text: string): string {
  const t = text.length > 400 ? `${text.slice(0, 399)}…` : text;
  return /[\p{L}\p{N})\]]$/u.test(t) ? `${t}.` : t;
}

/** Removes the private key (and anything shaped like one) from Klaviyo's or undici's text. */
export function scrub(text: string, apiKey: string): string {
  const out = apiKey.length >= 8 ? text.split(apiKey).join('[redacted]') : text;
  return out.replace(/\bpk_[A-Za-z0-9_]{6,}/g, 'pk_[redacted]');
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) return errorCode(cause);
  }
  return undefined;
}
