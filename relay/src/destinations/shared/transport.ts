/**
 * Requests that never got an HTTP answer: undici timeouts, refused or reset connections, DNS
 * failures, and the relay aborting a send while it stops. All of them are retried; what differs
 * is only how the merchant is told. `transportFailure` classifies, `transportRetry` words it the
 * way most destinations do; destinations with their own wording (TikTok, webhooks) word the
 * classification themselves.
 */
import type { Redactor } from './redact.js';
import { formatMs } from './text.js';

/** Error codes undici and Node give a request that ran out of time (connect, headers or body). */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * The string `code` of an error (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, …). With `followCause`
 * (the default) an error without one is searched through its `cause` chain, where fetch-style
 * wrappers keep the socket's code; without it only the error's own code counts.
 */
export function errorCode(err: unknown, opts: { followCause?: boolean } = {}): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (opts.followCause === false) return undefined;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) return errorCode(cause, opts);
  }
  return undefined;
}

/** What went wrong with a request that got no answer. `message` is the raw error text: redact it before use. */
export type TransportFailure =
  | { kind: 'timeout'; code: string }
  | { kind: 'aborted'; code: string | undefined }
  | { kind: 'network'; code: string | undefined; message: string };

/**
 * Classifies a thrown request error. A timeout code wins over `aborted` (the relay's own abort
 * signal having fired); anything else is a network error, with the error's message.
 */
export function transportFailure(err: unknown, opts: { aborted: boolean; followCause?: boolean }): TransportFailure {
  const code = errorCode(err, { followCause: opts.followCause });
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'timeout', code };
  if (opts.aborted) return { kind: 'aborted', code };
  return { kind: 'network', code, message: err instanceof Error ? err.message : String(err) };
}

/** The retry LayerSync records for a request that got no answer, with its problem code. */
export interface TransportRetry {
  problem: 'timeout' | 'unreachable';
  error: string;
}

export interface TransportRetryOptions {
  /** The platform as merchants know it: "Meta", "Pinterest", "X". */
  platform: string;
  /** The request's timeout, named in the timeout message. */
  timeoutMs: number;
  /** The send's abort signal had fired. */
  aborted: boolean;
  /** Censors the platform's credentials from the error message (undici may echo a URL or header). */
  redact: Redactor;
}

/**
 * Classifies and words a thrown request error:
 *   "Meta did not answer within 5 s; LayerSync will retry."
 *   "Sending to Meta was interrupted (the relay is stopping); LayerSync will retry."
 *   "Could not reach Meta (ECONNREFUSED: <redacted message>); LayerSync will retry."
 */
export function transportRetry(err: unknown, opts: TransportRetryOptions): TransportRetry {
  const failure = transportFailure(err, { aborted: opts.aborted });
  switch (failure.kind) {
    case 'timeout':
      return { problem: 'timeout', error: `${opts.platform} did not answer within ${formatMs(opts.timeoutMs)}; LayerSync will retry.` };
    case 'aborted':
      return { problem: 'unreachable', error: `Sending to ${opts.platform} was interrupted (the relay is stopping); LayerSync will retry.` };
    case 'network':
      return {
        problem: 'unreachable',
        error: `Could not reach ${opts.platform} (${failure.code ?? 'network error'}: ${opts.redact(failure.message)}); LayerSync will retry.`,
      };
  }
}
