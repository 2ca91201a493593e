/**
 * Canonical event → one signed-webhook message. Pure: the body is serialized here, once, so the
 * bytes signed at send time are exactly the bytes stored in the ledger and posted (Standard
 * Webhooks signs the raw body; nothing may re-serialize it in between). The timestamp and the
 * signature belong to each attempt and are added by `send`.
 */
import type { CanonicalEvent } from '../../contract/event.js';
import type { MapContext, MapResult } from '../types.js';
import { WEBHOOK_MAX_EVENT_AGE_SECONDS, webhookId } from './api.js';
import { WEBHOOK_EVENT_FIELDS, type WebhookSettings } from './settings.js';

/** What `send` posts for one event. */
export interface WebhookMessage {
  /** `webhook-id`: stable for the event across retries. */
  id: string;
  /** The JSON body, exactly as it is signed and sent. */
  body: string;
}

/** Maps one canonical event to a webhook message: the whole event, or the configured fields. */
export function mapWebhookEvent(event: CanonicalEvent, ctx: MapContext<WebhookSettings>): MapResult {
  const age = ctx.now - event.event_time;
  if (age > WEBHOOK_MAX_EVENT_AGE_SECONDS) {
    return {
      ok: false,
      skip: false,
      reason: `The event happened ${Math.floor(age / 86_400)} days ago; LayerSync delivers webhooks up to 30 days old, so it was not sent.`,
    };
  }
  const wanted = new Set<string>(ctx.settings.fields ?? WEBHOOK_EVENT_FIELDS);
  const subset: Record<string, unknown> = {};
  // The contract's field order, whatever order the settings list them in.
  for (const key of WEBHOOK_EVENT_FIELDS) {
    if (wanted.has(key) && event[key] !== undefined) subset[key] = event[key];
  }
  const message: WebhookMessage = { id: webhookId(event.event_id), body: JSON.stringify(subset) };
  return { ok: true, payload: message };
}
