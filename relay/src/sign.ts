/**
 * Request signing for POST /v1/events (docs/CONTRACT.md, "Plugin / SDK → relay ingest").
 * The relay verifies with the same `computeSignature`, so sender and receiver cannot disagree
 * about the signed bytes. Used by tests, the e2e suite and the Node SDK.
 */
import { createHmac } from 'node:crypto';
import { uuidv7 } from './util/uuidv7.js';

export const SITE_HEADER = 'x-layersync-site';
export const REQUEST_ID_HEADER = 'x-layersync-request-id';
export const TIMESTAMP_HEADER = 'x-layersync-timestamp';
export const SIGNATURE_HEADER = 'x-layersync-signature';
export const SIGNATURE_VERSION = 'v1';

/**
 * HMAC-SHA256(secret, `{requestId}.{timestamp}.{body}`) over the exact body bytes, as a Buffer.
 * The body is fed to the HMAC separately so a large body is never copied into a new string.
 */
export function computeSignature(secret: string, requestId: string, timestamp: string | number, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${requestId}.${timestamp}.`).update(body).digest();
}

export interface SignRequestInput {
  siteId: string;
  secret: string;
  /** The exact bytes that will be sent. A string is signed as its UTF-8 encoding. */
  body: string | Uint8Array;
  /** Defaults to a fresh UUIDv7. Never reuse one: the relay rejects repeats as replays. */
  requestId?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}

/**
 * Returns the headers for one signed ingest request, including `content-type`.
 * Send the body exactly as passed here: re-serializing it breaks the signature.
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const requestId = input.requestId ?? uuidv7();
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const mac = computeSignature(input.secret, requestId, timestamp, body).toString('hex');
  return {
    'content-type': 'application/json',
    [SITE_HEADER]: input.siteId,
    [REQUEST_ID_HEADER]: requestId,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: `${SIGNATURE_VERSION}=${mac}`,
  };
}
