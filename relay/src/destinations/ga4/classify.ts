/**
 * Turns what Google Analytics answers into typed outcomes. The production endpoint says almost
 * nothing: it answers 2xx whenever the HTTP request arrives, even for a malformed payload or a
 * wrong api_secret (G1, G3), so 2xx can only mean "delivered". Only the validation endpoint
 * explains problems, as `{"validationMessages":[{fieldPath, description, validationCode}]}` (G3).
 */
import type { DeliveryOutcome } from '../types.js';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { isTransientStatus, withRetryAfter, type RetryOutcome } from '../shared/outcome.js';
import { redactSecrets } from '../shared/redact.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import { truncate } from '../shared/text.js';

export { parseRetryAfter } from '../shared/retry-after.js';
export type { RetryOutcome } from '../shared/outcome.js';

/** One message of the validation server (G3). */
export interface Ga4ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: string;
}

const MAX_ERROR_BODY = 500;

/** The trimmed body: its first MAX_ERROR_BODY characters and "…" when it is longer. */
function snippet(body: string): string {
  return truncate(body.trim(), MAX_ERROR_BODY, MAX_ERROR_BODY);
}

/**
 * Classifies a response that applies to a whole request. 2xx → delivered. 429, 5xx and 408
 * (the server timed out waiting for us) → retry, honouring Retry-After. Any other status →
 * drop: G1 says a non-2xx means the HTTP request itself is wrong, "fix it, don't resend it".
 * Google never signals bad credentials (a wrong api_secret is accepted and discarded, G1/G3),
 * so no response maps to `auth`.
 */
export function classifyHttp(res: HttpResponse, nowMs: number, secrets: readonly string[]): DeliveryOutcome {
  const { status } = res;
  if (status >= 200 && status < 300) {
    const body = res.body.trim();
    return body === '' ? { kind: 'delivered', status } : { kind: 'delivered', status, response: redactSecrets(snippet(body), secrets) };
  }
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], nowMs);
  const detail = res.body.trim() === '' ? '' : `: ${redactSecrets(snippet(res.body), secrets)}`;
  if (isTransientStatus(status)) {
    const what = status === 429 ? 'rate limited the request' : status === 408 ? 'timed out reading the request' : 'failed';
    return withRetryAfter({ kind: 'retry', status, error: `Google Analytics ${what} (HTTP ${status})${detail}` }, retryAfterMs);
  }
  return { kind: 'drop', status, error: `Google Analytics rejected the request (HTTP ${status})${detail}` };
}

/** A thrown transport error (connection refused, reset, undici timeouts, abort) → retry. */
export function classifyNetworkError(err: unknown, secrets: readonly string[]): RetryOutcome {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const timeout = /TIMEOUT/i.test(code) || /timeout/i.test(message);
  return {
    kind: 'retry',
    error: redactSecrets(`${timeout ? 'timed out talking to' : 'network error talking to'} Google Analytics: ${code}: ${message}`, secrets),
  };
}

/** Parses the validation server's body; undefined when it is not that shape. */
export function parseValidationMessages(body: string): Ga4ValidationMessage[] | undefined {
  const list = (parseJson(body) as { validationMessages?: unknown } | null | undefined)?.validationMessages;
  if (!Array.isArray(list)) return undefined;
  return list.map((m: unknown) => {
    const o = (m ?? {}) as Record<string, unknown>;
    return {
      fieldPath: typeof o.fieldPath === 'string' ? o.fieldPath : '',
      description: typeof o.description === 'string' ? o.description : '',
      validationCode: typeof o.validationCode === 'string' ? o.validationCode : 'UNKNOWN',
    };
  });
}

/**
 * Which event of the request a message is about. Google's documented example puts the index in
 * the description ("Event at index: [0] has invalid name…", fieldPath "events", G3); a path such
 * as `events[2].params.value` is read too. Undefined → the message concerns the whole request.
 */
export function messageEventIndex(m: Ga4ValidationMessage): number | undefined {
  const fromPath = /^events(?:\[(\d+)\]|\.(\d+))/.exec(m.fieldPath);
  if (fromPath) return Number(fromPath[1] ?? fromPath[2]);
  const fromText = /index:\s*\[(\d+)\]/i.exec(m.description);
  return fromText ? Number(fromText[1]) : undefined;
}

export function describeMessage(m: Ga4ValidationMessage): string {
  return `${m.validationCode} at ${m.fieldPath || '(request)'}: ${m.description}`;
}

/**
 * One outcome per event of a request sent to the validation server: events with messages (their
 * own or the request's) are dropped with those messages; the others are delivered — validated,
 * though Google does not record events sent there (G3).
 */
export function classifyValidation(
  messages: readonly Ga4ValidationMessage[],
  eventCount: number,
  status: number,
  secrets: readonly string[],
): DeliveryOutcome[] {
  const requestLevel: string[] = [];
  const perEvent: string[][] = Array.from({ length: eventCount }, () => []);
  for (const m of messages) {
    const i = messageEventIndex(m);
    if (i !== undefined && i < eventCount) perEvent[i]!.push(describeMessage(m));
    else requestLevel.push(describeMessage(m));
  }
  return perEvent.map((own) => {
    const all = [...requestLevel, ...own];
    return all.length === 0
      ? { kind: 'delivered', status, response: 'validated by /debug/mp/collect (validation mode: not recorded in reports)' }
      : { kind: 'drop', status, error: redactSecrets(`GA4 validation: ${all.join('; ')}`, secrets) };
  });
}
