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
import { parseJson } from '../shared/json.js';
import { temporaryFailure } from '../shared/outcome.js';
import { REDACTED, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders } from '../shared/retry-after.js';
import { collapseWhitespace, sentence } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
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
  const words = errors ? errors.map(describe).join('; ') : parseJson(res.body) === undefined ? collapseWhitespace(res.body) : '';
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
  if (status === 429) return { ...base, ...temporaryFailure('rate_limited', { platform: 'Klaviyo', status, ref, detail, retryAfterMs }) };
  if (status >= 500 || status === 408) return { ...base, ...temporaryFailure('unavailable', { platform: 'Klaviyo', status, ref, detail, retryAfterMs }) };
  return { ...base, problem: 'rejected', outcome: { kind: 'drop', status, error: `Klaviyo rejected the event (${ref}).${detail}` } };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyKlaviyoTransportError(err: unknown, opts: { apiKey: string; timeoutMs: number; aborted: boolean }): KlaviyoClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'Klaviyo', redact: (text) => scrub(text, opts.apiKey) });
  return { problem, outcome: { kind: 'retry', error } };
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

/** Removes the private key (8 characters or more) and anything shaped like a private key (pk_…) from Klaviyo's or undici's text. */
export function scrub(text: string, apiKey: string): string {
  return redactSecrets(text, [apiKey], 8).replace(/\bpk_[A-Za-z0-9_]{6,}/g, `pk_${REDACTED}`);
}
