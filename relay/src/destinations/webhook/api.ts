/**
 * Signed webhooks per the Standard Webhooks spec v1.0.0 (S = spec, L = its reference JavaScript
 * library, the `standardwebhooks` npm package; notes §8 of
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md).
 *
 * Signing uses `standardwebhooks` itself (published by the spec's maintainers, active in 2026,
 * two small dependencies) so a receiver using any Standard Webhooks library verifies exactly what
 * we sign: `webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded whsec_ secret,
 * "{webhook-id}.{webhook-timestamp}.{raw body}")>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Webhooks have no platform origin: each connection's `url` is the endpoint. `.invalid` (RFC
 * 2606) marks that; a SendContext.baseUrl, when given (tests), replaces the configured URL's origin.
 */
export const WEBHOOK_DEFAULT_ORIGIN = 'https://endpoint.invalid';

/** S recommends a 15-30 s timeout so receivers have time to process. */
export const WEBHOOK_TIMEOUT_MS = 15_000;

/** One event per request (S: one message per delivery); a worker batch is sent one after another. */
export const WEBHOOK_MAX_EVENTS_PER_BATCH = 50;

/**
 * No platform limits the age of a webhook. S suggests retrying over about three days; LayerSync
 * keeps events deliverable for 30 days so a receiver that was down, or a connection paused for a
 * wrong secret, still gets them once fixed.
 */
export const WEBHOOK_MAX_EVENT_AGE_SECONDS = 30 * 24 * 60 * 60;

/** The `type` of the connection-test ping. Real events are canonical events and carry no `type`. */
export const WEBHOOK_TEST_EVENT_TYPE = 'layersync.test';

/** A secret as S shows it: `whsec_` + base64 of 24-64 random bytes. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A fresh endpoint secret (S: random, 24-64 bytes, `whsec_` + base64); 32 bytes here. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Bytes a `whsec_` secret decodes to (0 when it is not one). */
export function webhookSecretBytes(secret: string): number {
  return WEBHOOK_SECRET_PATTERN.test(secret) ? Buffer.from(secret.slice('whsec_'.length), 'base64').length : 0;
}

/**
 * The `webhook-id` of an event: stable across retries (S: the consumer's idempotency key), and
 * free of "." and of anything the sender of the event controls (S: ids must not contain "." —
 * event ids may). Derived from the event id, so every copy of one event gets the same id.
 */
export function webhookId(eventId: string): string {
  return `msg_${createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, 32)}`;
}

/** `webhook-signature` value: one `v1,<sig>` per secret, space-separated (S: rotation). */
export function webhookSignature(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(id, new Date(timestampSeconds * 1000), body)).join(' ');
}

/** The three Standard Webhooks headers plus the JSON content type. */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': webhookSignature(secrets, id, timestampSeconds, body),
  };
}

/** The URL to post to: the configured one, or (tests, proxies) the same path and query on `baseUrl`'s origin. */
export function webhookTargetUrl(url: string, baseUrl: string | undefined): string {
  if (baseUrl === undefined) return url;
  const target = new URL(url);
  const base = new URL(baseUrl);
  return `${base.origin}${target.pathname}${target.search}`;
}
