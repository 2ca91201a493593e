/**
 * Verification of signed ingest requests (docs/CONTRACT.md). Pure: no store access, so every
 * rule is unit-testable; the route adds the site lookup and replay check around it.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  computeSignature,
  REQUEST_ID_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_VERSION,
  SITE_HEADER,
  TIMESTAMP_HEADER,
} from '../sign.js';

export const SITE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;
/** More candidate signatures than rotation needs is an attack on CPU, not a sender. */
const MAX_SIGNATURES = 4;

export interface SignedHeaders {
  siteId: string;
  requestId: string;
  timestamp: number;
  /** The raw header text, signed as is. */
  timestampText: string;
  signatures: Buffer[];
}

export type HeaderProblem = { error: 'missing_headers'; message: string };

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads and checks the four signing headers' presence and form. */
export function readSignedHeaders(
  headers: Record<string, string | string[] | undefined>,
): { ok: true; value: SignedHeaders } | { ok: false; problem: HeaderProblem } {
  const names = [SITE_HEADER, REQUEST_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER];
  const missing = names.filter((n) => !header(headers, n));
  if (missing.length > 0) {
    return fail(
      `missing ${missing.map(display).join(', ')}; sign every request with the site id, a fresh request id, ` +
        `the unix timestamp and the v1 HMAC signature (see docs/CONTRACT.md)`,
    );
  }
  const siteId = header(headers, SITE_HEADER)!;
  const requestId = header(headers, REQUEST_ID_HEADER)!;
  const timestampText = header(headers, TIMESTAMP_HEADER)!;
  const signatureText = header(headers, SIGNATURE_HEADER)!;
  if (!SITE_ID_PATTERN.test(siteId)) {
    return fail(`${display(SITE_HEADER)} must be a site id (letters, digits, "_", "." or "-", at most 64), got ${quote(siteId)}`);
  }
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    return fail(`${display(REQUEST_ID_HEADER)} must be a fresh UUID per request (8-128 letters, digits, "-", "_", ".", ":"), got ${quote(requestId)}`);
  }
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    return fail(`${display(TIMESTAMP_HEADER)} must be unix time in whole seconds, got ${quote(timestampText)}`);
  }
  const signatures: Buffer[] = [];
  for (const part of signatureText.trim().split(/[\s,]+/).slice(0, MAX_SIGNATURES)) {
    const m = /^v1=([0-9a-f]{64})$/i.exec(part);
    if (m) signatures.push(Buffer.from(m[1]!, 'hex'));
  }
  if (signatures.length === 0) {
    return fail(`${display(SIGNATURE_HEADER)} must be "${SIGNATURE_VERSION}=" followed by the 64-character hex HMAC-SHA256; several may be separated by spaces`);
  }
  return { ok: true, value: { siteId, requestId, timestamp: Number(timestampText), timestampText, signatures } };
}

/** True when any given signature matches any active secret over exactly these body bytes. */
export function signatureMatches(signed: SignedHeaders, secrets: readonly string[], body: Uint8Array): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = computeSignature(secret, signed.requestId, signed.timestampText, body);
    for (const sig of signed.signatures) {
      // Constant-time per comparison; lengths are equal (32 bytes) by construction. No early
      // exit inside the loops, so timing does not reveal which secret or signature matched.
      if (sig.length === expected.length && timingSafeEqual(sig, expected)) matched = true;
    }
  }
  return matched;
}

/**
 * Until when a request id must be remembered (ms). A copy of the request passes the timestamp
 * check only while the relay's clock is within ±tolerance of its signed timestamp, and that
 * timestamp was itself within ±tolerance when the request first arrived: so no copy can pass
 * later than twice the tolerance after that arrival.
 *
 * Counted from the arrival, not from the signed timestamp, so that the expiry index's entries
 * come in arrival order and its writes append. From the signed timestamp (whole seconds), every
 * request of one second shared one value and was placed by its request id instead: with random
 * (v4) request ids each insert landed on another page (bench/ingest.sh, BENCH_REQUEST_ID=v4:
 * 12.3k → 15.9k single-event req/s with this).
 */
export function requestIdExpiry(receivedAtMs: number, toleranceSeconds: number): number {
  return receivedAtMs + (2 * toleranceSeconds + 1) * 1000;
}

function fail(message: string): { ok: false; problem: HeaderProblem } {
  return { ok: false, problem: { error: 'missing_headers', message } };
}

/** Header names as documented, e.g. X-LayerSync-Site. */
function display(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()).replace('Layersync', 'LayerSync');
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
