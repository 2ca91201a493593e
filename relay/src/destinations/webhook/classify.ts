/**
 * Turns a webhook endpoint's answer into a LayerSync delivery outcome, following the Standard
 * Webhooks delivery rules (S, "Delivery success and failure"): any 2xx is success; 3xx is a
 * failure (redirects are not followed — the URL should be updated); 410 Gone means the endpoint
 * wants no more webhooks; 429, 502 and 504 mean slow down; Retry-After is honoured.
 *
 * LayerSync's reading of the rest: 5xx, 408 and timeouts are retried; 401/403 almost always mean
 * the endpoint could not verify the signature (a wrong secret), 3xx and 410 are configuration —
 * these would fail every event alike, so they park the connection ('auth') rather than drop
 * events one by one; any other 4xx is the endpoint refusing this event, which a retry cannot fix.
 */
import type { HttpResponse } from '../../delivery/http.js';
import { isTransientStatus, transientProblem, withRetryAfter } from '../shared/outcome.js';
import { REDACTED, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders, retryNote } from '../shared/retry-after.js';
import { bodySnippet, formatMs } from '../shared/text.js';
import { transportFailure } from '../shared/transport.js';
import type { DeliveryOutcome } from '../types.js';

/** ok, invalid_credentials, redirected, gone, rate_limited, unavailable, unreachable, timeout, tls, rejected. */
export type WebhookProblem =
  | 'ok'
  | 'invalid_credentials'
  | 'redirected'
  | 'gone'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'rejected';

export interface WebhookClassification {
  outcome: DeliveryOutcome;
  problem: WebhookProblem;
}

export interface ClassifyContext {
  /** The secrets, censored wherever they appear in the endpoint's answer. */
  secrets: string[];
  /** Host of the endpoint, for messages. */
  host: string;
  nowMs: number;
}

/** Classifies the endpoint's answer. */
export function classifyWebhookResponse(res: HttpResponse, ctx: ClassifyContext): WebhookClassification {
  const status = res.status;
  if (status >= 200 && status < 300) return { problem: 'ok', outcome: { kind: 'delivered', status } };
  const said = snippet(res.body, ctx.secrets);
  const answer = said === '' ? `HTTP ${status}` : `HTTP ${status}: ${said}`;

  if (status >= 300 && status < 400) {
    const location = res.headers.location ? ` to ${redactLocation(res.headers.location)}` : '';
    return {
      problem: 'redirected',
      outcome: {
        kind: 'auth',
        status,
        error: `The webhook endpoint at ${ctx.host} answered with a redirect${location} (${answer}). LayerSync does not follow redirects (Standard Webhooks): update the endpoint URL.`,
      },
    };
  }
  if (status === 401 || status === 403) {
    return {
      problem: 'invalid_credentials',
      outcome: {
        kind: 'auth',
        status,
        error: `The webhook endpoint at ${ctx.host} refused the request (${answer}). It most likely could not verify the signature: check that it verifies with the signing secret saved in LayerSync and allows a 5-minute timestamp tolerance.`,
      },
    };
  }
  if (status === 410) {
    return {
      problem: 'gone',
      outcome: {
        kind: 'auth',
        status,
        error: `The webhook endpoint at ${ctx.host} answered 410 Gone: it no longer accepts webhooks (${answer}). Update the endpoint URL or remove the connection.`,
      },
    };
  }
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (isTransientStatus(status)) {
    const what = status === 429 ? 'is rate limiting' : 'had a problem';
    return {
      problem: transientProblem(status),
      outcome: withRetryAfter(
        { kind: 'retry', status, error: `The webhook endpoint at ${ctx.host} ${what} (${answer}); LayerSync will retry${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  return {
    problem: 'rejected',
    outcome: { kind: 'drop', status, error: `The webhook endpoint at ${ctx.host} rejected the event (${answer}).` },
  };
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_)/;

/**
 * Classifies a request that never got an HTTP answer. Worded for a merchant's own endpoint
 * (named by host), and a certificate problem is told apart from an unreachable endpoint.
 */
export function classifyWebhookTransportError(
  err: unknown,
  opts: { secrets: string[]; host: string; timeoutMs: number; aborted: boolean },
): WebhookClassification {
  const failure = transportFailure(err, { aborted: opts.aborted });
  if (failure.kind === 'timeout') {
    return { problem: 'timeout', outcome: { kind: 'retry', error: `The webhook endpoint at ${opts.host} did not answer within ${formatMs(opts.timeoutMs)}; LayerSync will retry.` } };
  }
  if (failure.kind === 'aborted') return { problem: 'unreachable', outcome: { kind: 'retry', error: 'Sending the webhook was interrupted (the relay is stopping); LayerSync will retry.' } };
  const { code } = failure;
  const message = scrub(failure.message, opts.secrets);
  if (code !== undefined && TLS_CODES.test(code)) {
    return {
      problem: 'tls',
      outcome: { kind: 'retry', error: `The webhook endpoint at ${opts.host} has a TLS certificate problem (${code}: ${message}); fix its certificate. LayerSync will retry.` },
    };
  }
  return { problem: 'unreachable', outcome: { kind: 'retry', error: `Could not reach the webhook endpoint at ${opts.host} (${code ?? 'network error'}: ${message}); LayerSync will retry.` } };
}

/** A Location without its query string, which may carry tokens. */
function redactLocation(location: string): string {
  try {
    const u = new URL(location);
    return `${u.origin}${u.pathname}`;
  } catch {
    return location.split('?')[0]!.slice(0, 200);
  }
}

/**
 * Removes the signing secrets, each with and without its whsec_ prefix (8 characters or more),
 * and any whsec_ value from the endpoint's text.
 */
export function scrub(text: string, secrets: string[]): string {
  const forms = secrets.flatMap((s) => [s, s.replace(/^whsec_/, '')]);
  return redactSecrets(text, forms, 8).replace(/whsec_[A-Za-z0-9+/=]+/g, `whsec_${REDACTED}`);
}

/** The body on one line, cut to 200 characters, then scrubbed ("" for an empty body). */
function snippet(body: string, secrets: string[]): string {
  return bodySnippet(body, (text) => scrub(text, secrets), { empty: '' });
}
