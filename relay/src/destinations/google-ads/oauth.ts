/**
 * OAuth 2.0 refresh-token grant against Google's token endpoint, with the access token cached in
 * the worker's per-destination memory (`SendContext.state`) until shortly before it expires.
 * Google access tokens live about an hour (`expires_in: 3599`); refreshing per send would double
 * the request count and run into the token endpoint's own limits.
 */
import { createHash } from 'node:crypto';
import type { HttpClient } from '../../delivery/http.js';
import { parseJsonObject } from '../shared/json.js';
import { withRetryAfter } from '../shared/outcome.js';
import { redactSecrets } from '../shared/redact.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { DeliveryOutcome } from '../types.js';
import { GOOGLE_OAUTH_TOKEN_URL } from './api.js';

export interface OAuthCredentials {
  client_id: string;
  client_secret: string;
  refresh_token: string;
}

export type TokenFailureCode = 'token_revoked' | 'invalid_client' | 'token_error' | 'unreachable';

export type TokenResult =
  | { ok: true; accessToken: string; expiresAtMs: number }
  | { ok: false; code: TokenFailureCode; outcome: Extract<DeliveryOutcome, { kind: 'auth' | 'retry' }> };

/** Refresh this long before Google's expiry, so a token never expires between check and use. */
export const TOKEN_EXPIRY_MARGIN_MS = 5 * 60_000;
const STATE_KEY = 'google_ads.oauth';

interface CacheEntry {
  fingerprint: string;
  token?: { accessToken: string; expiresAtMs: number };
  /** A refresh in flight, shared by concurrent sends. */
  pending?: Promise<TokenResult>;
}

/**
 * Token endpoint for a send. When the API origin is overridden (a local fake, a test proxy) the
 * token request follows it to `{baseUrl}/token`, so a test setup never sends a refresh token to
 * Google. Google Ads has no regional API origins, so production never sets baseUrl.
 */
export function tokenUrlFor(baseUrl?: string): string {
  return baseUrl ? new URL('/token', baseUrl).toString() : GOOGLE_OAUTH_TOKEN_URL;
}

/** Exchanges the refresh token for an access token. Never throws; never puts a secret in a message. */
export async function requestAccessToken(
  http: HttpClient,
  tokenUrl: string,
  creds: OAuthCredentials,
  nowMs: number,
  signal?: AbortSignal,
): Promise<TokenResult> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: creds.client_id,
    client_secret: creds.client_secret,
    refresh_token: creds.refresh_token,
  }).toString();
  let res;
  try {
    res = await http.request({
      method: 'POST',
      url: tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : 'network error';
    return {
      ok: false,
      code: 'unreachable',
      outcome: { kind: 'retry', error: `Could not reach Google's OAuth server to refresh the access token (${why}).` },
    };
  }
  const json = parseJsonObject(res.body);
  if (res.status === 200 && typeof json?.access_token === 'string' && json.access_token !== '') {
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    return { ok: true, accessToken: json.access_token, expiresAtMs: nowMs + expiresIn * 1000 };
  }
  const error = typeof json?.error === 'string' ? json.error : undefined;
  // error_description is Google's text about the request, never an echo of the secrets; still
  // keep it short and strip anything that looks like one of ours.
  const description =
    typeof json?.error_description === 'string' ? redactSecrets(json.error_description.slice(0, 200), [creds.client_secret, creds.refresh_token]) : '';
  const detail = description ? ` Google said: "${description}".` : '';
  if (res.status === 429 || res.status >= 500) {
    return {
      ok: false,
      code: 'unreachable',
      outcome: withRetryAfter(
        { kind: 'retry', status: res.status, error: `Google's OAuth server answered HTTP ${res.status} while refreshing the access token.` },
        parseRetryAfter(res.headers['retry-after'], nowMs),
      ),
    };
  }
  if (error === 'invalid_grant') {
    return {
      ok: false,
      code: 'token_revoked',
      outcome: {
        kind: 'auth',
        status: res.status,
        error: `Google rejected the refresh token (invalid_grant): the refresh token was revoked or expired. Reconnect Google Ads.${detail}`,
      },
    };
  }
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return {
      ok: false,
      code: 'invalid_client',
      outcome: {
        kind: 'auth',
        status: res.status,
        error: `Google rejected the OAuth client (${error}): check the client ID and client secret, and that the refresh token was issued to this client.${detail}`,
      },
    };
  }
  return {
    ok: false,
    code: 'token_error',
    outcome: {
      kind: 'auth',
      status: res.status,
      error: `Google refused to refresh the access token (HTTP ${res.status}${error ? `, ${error}` : ''}). Reconnect Google Ads.${detail}`,
    },
  };
}

function fingerprint(tokenUrl: string, creds: OAuthCredentials): string {
  // Settings may change while the worker runs; a new client or refresh token must not reuse the old token.
  return createHash('sha256')
    .update([tokenUrl, creds.client_id, creds.client_secret, creds.refresh_token].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

export interface TokenRequestContext {
  http: HttpClient;
  tokenUrl: string;
  creds: OAuthCredentials;
  state?: Map<string, unknown>;
  nowMs: number;
  signal?: AbortSignal;
}

/** A cached access token when still valid for TOKEN_EXPIRY_MARGIN_MS, else a fresh one. */
export async function getAccessToken(ctx: TokenRequestContext, opts: { forceRefresh?: boolean } = {}): Promise<TokenResult> {
  const fp = fingerprint(ctx.tokenUrl, ctx.creds);
  const state = ctx.state;
  let entry = state?.get(STATE_KEY) as CacheEntry | undefined;
  if (entry?.fingerprint !== fp) {
    entry = { fingerprint: fp };
    state?.set(STATE_KEY, entry);
  }
  if (!opts.forceRefresh && entry.token && ctx.nowMs < entry.token.expiresAtMs - TOKEN_EXPIRY_MARGIN_MS) {
    return { ok: true, ...entry.token };
  }
  if (entry.pending) return entry.pending;
  const current = entry;
  const pending = requestAccessToken(ctx.http, ctx.tokenUrl, ctx.creds, ctx.nowMs, ctx.signal).then((result) => {
    current.pending = undefined;
    if (result.ok) current.token = { accessToken: result.accessToken, expiresAtMs: result.expiresAtMs };
    else current.token = undefined;
    return result;
  });
  current.pending = pending;
  return pending;
}

/** Drops a cached token Google refused (revoked or expired early), so the next call refreshes. */
export function forgetAccessToken(state: Map<string, unknown> | undefined, accessToken: string): void {
  const entry = state?.get(STATE_KEY) as CacheEntry | undefined;
  if (entry?.token?.accessToken === accessToken) entry.token = undefined;
}
