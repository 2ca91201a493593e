import { z } from 'zod';
import { webhookSecretBytes } from './api.js';

/** Top-level fields of the canonical event a merchant may choose to receive (docs/CONTRACT.md). */
export const WEBHOOK_EVENT_FIELDS = ['event_id', 'event_name', 'event_time', 'source', 'context', 'identity', 'commerce', 'consent', 'properties'] as const;
export type WebhookEventField = (typeof WEBHOOK_EVENT_FIELDS)[number];

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const endpointUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a full URL such as https://example.com/webhooks/layersync' });
      return;
    }
    const host = url.hostname.toLowerCase();
    const local = LOCAL_HOSTS.has(host) || host.endsWith('.localhost');
    if (url.protocol === 'http:' && !local) {
      ctx.addIssue({
        code: 'custom',
        message: `must use https:// — events carry hashed customer data and must not cross the network unencrypted; http:// is allowed only for localhost, 127.0.0.1 or [::1] while testing (got http://${url.host})`,
      });
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `must be an https:// URL (got ${url.protocol}//)` });
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password: the webhook signature authenticates LayerSync to your endpoint' });
    }
  });

const secret = z
  .string()
  .trim()
  .refine((s) => {
    const n = webhookSecretBytes(s);
    return n >= 24 && n <= 64;
  }, 'must be a Standard Webhooks secret: "whsec_" followed by base64 of 24 to 64 random bytes (LayerSync can generate one)');

export const webhookSettings = z
  .object({
    url: endpointUrl
      .meta({ title: 'Endpoint URL' })
      .describe('Where LayerSync POSTs each event, e.g. https://example.com/webhooks/layersync. Must be https://, except http://localhost for testing.'),
    secret: secret
      .meta({ title: 'Signing secret', secret: true })
      .describe(
        'The endpoint\'s Standard Webhooks secret (whsec_…). Every request carries webhook-id, webhook-timestamp and webhook-signature headers; verify them with any Standard Webhooks library and this secret. LayerSync masks it and never logs it.',
      ),
    previous_secret: secret
      .optional()
      .meta({ title: 'Previous signing secret', secret: true })
      .describe(
        'Optional, for rotating the secret without downtime: while set, every request is signed with both secrets (two space-separated signatures), so the endpoint can switch at its own pace. Remove it once the endpoint uses the new secret.',
      ),
    fields: z
      .array(z.enum(WEBHOOK_EVENT_FIELDS))
      .min(1)
      .refine((f) => new Set(f).size === f.length, 'must not list a field twice')
      .optional()
      .meta({ title: 'Fields' })
      .describe(
        'Optional. Which top-level fields of the LayerSync event to send, e.g. ["event_id", "event_name", "event_time", "commerce"]. Leave empty to send the whole event. A connection test always sends {"type": "layersync.test", "timestamp", "data"}.',
      ),
  })
  .strict();

/** Settings of one webhook connection, as validated by `webhookSettings`. */
export type WebhookSettings = z.infer<typeof webhookSettings>;
