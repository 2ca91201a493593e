/**
 * Site-signed access to the admin API (docs/CONTRACT.md, "Admin API for a site"): a request
 * signed with a site's secret exactly like ingest — X-LayerSync-Site, -Request-Id, -Timestamp and
 * -Signature over `{request_id}.{timestamp}.{body}` (the raw body bytes, or nothing for GET) —
 * speaks for that site only. WordPress uses it so that it never holds the relay-wide admin token.
 *
 * The checks and their error codes are ingest's, in the same order (headers, site, clock,
 * signature, replay), so one client-side mapping explains both.
 */
import type { FastifyInstance } from 'fastify';
import { readSignedHeaders, requestIdExpiry, signatureMatches } from '../ingest/signature.js';
import { SITE_HEADER, SIGNATURE_HEADER } from '../sign.js';

export type SiteAuthError = 'missing_headers' | 'unknown_site' | 'stale_timestamp' | 'bad_signature' | 'replayed_request';

export type SiteAuthResult = { ok: true; siteId: string } | { ok: false; error: SiteAuthError; message: string };

/** True when the request carries any site-signing header (so it means to be site-signed). */
export function looksSiteSigned(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[SITE_HEADER] !== undefined || headers[SIGNATURE_HEADER] !== undefined;
}

/**
 * Verifies a site-signed request over exactly `body` and remembers its request id (so a captured
 * request cannot be sent again). The request id is recorded through the store's ingest commit
 * with no events: the same table and window as ingest, atomically.
 */
export async function verifySiteRequest(
  app: FastifyInstance,
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
  toleranceSeconds: number,
): Promise<SiteAuthResult> {
  const read = readSignedHeaders(headers);
  if (!read.ok) return { ok: false, error: 'missing_headers', message: read.problem.message };
  const signed = read.value;
  const site = await app.store.getSite(signed.siteId);
  if (!site) {
    return {
      ok: false,
      error: 'unknown_site',
      message: `this relay has no site "${signed.siteId}"; check the site id in the plugin settings or add it with: layersync-relay sites add --id ${signed.siteId}`,
    };
  }
  const nowMs = app.clock();
  const skew = Math.floor(nowMs / 1000) - signed.timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    return {
      ok: false,
      error: 'stale_timestamp',
      message:
        `X-LayerSync-Timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'in the past' : 'in the future'}; the relay accepts ±${toleranceSeconds} s. ` +
        `Sign each request when it is sent, and check the sender's clock (NTP)`,
    };
  }
  if (!signatureMatches(signed, site.secrets, body)) {
    return {
      ok: false,
      error: 'bad_signature',
      message:
        `the signature does not match: sign "{request_id}.{timestamp}.{body}" with HMAC-SHA256 and the site's current secret, ` +
        `over the exact bytes sent (nothing for GET), and send it as "v1=<hex>"`,
    };
  }
  const committed = await app.store.ingest({
    siteId: signed.siteId,
    requestId: signed.requestId,
    requestIdExpiresAt: requestIdExpiry(nowMs, toleranceSeconds),
    receivedAt: nowMs,
    events: [],
  });
  if (committed.replayed) {
    return { ok: false, error: 'replayed_request', message: 'this request id was used already; sign every request with a fresh request id' };
  }
  return { ok: true, siteId: signed.siteId };
}
