/**
 * Request and response schemas of the admin API, in zod. The routes validate with them, the
 * responses are parsed through them (so a field that is not in a schema — a secret, say — can
 * never leave), and relay/schema/admin.openapi.json is generated from them.
 *
 * The canonical event and destination settings are described by reference (event.schema.json,
 * GET /v1/admin/destination-types), so this document does not change when a destination's
 * settings or the event contract do.
 */
import { z } from 'zod';
import { eventIdSchema } from '../contract/event.js';
import { DESTINATION_SLUGS } from '../destinations/types.js';
import { SITE_ID_PATTERN } from '../ingest/signature.js';
import { DELIVERY_STATUSES } from '../store/types.js';
import { parseTimeInput, TIME_INPUT_HELP } from './time.js';

// ── Building blocks ──

export const siteIdSchema = z
  .string()
  .regex(SITE_ID_PATTERN, 'must be a site id: 1-64 letters, digits, "_", "." or "-", starting with a letter or digit')
  .describe('Site id, as in X-LayerSync-Site.');
export const slugSchema = z.enum(DESTINATION_SLUGS).describe('Destination (platform) slug.');
export const statusSchema = z.enum(DELIVERY_STATUSES);
export const modeSchema = z.enum(['live', 'dry_run']).describe('live: send to the platform · dry_run: build and store payloads, send nothing.');
const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time.');
const id = z.number().int().positive();
export const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'must be a SHA-256 hash: 64 lowercase hex characters');

export const timeInputSchema = z
  .string()
  .refine((s) => parseTimeInput(s, 0) !== undefined, { message: `must be ${TIME_INPUT_HELP}` })
  .describe(`A point in time: ${TIME_INPUT_HELP}.`);

/** Comma-separated statuses in a query string (`failed,dead`). */
const statusList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
  .pipe(z.array(statusSchema).min(1))
  .describe(`Comma-separated delivery statuses: ${DELIVERY_STATUSES.join(', ')}.`);

const cursorSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a next_cursor value from a previous page')
  .describe('next_cursor of the previous page.');

export const secretInputSchema = z
  .string()
  .min(32, 'must be at least 32 characters')
  .max(256)
  .regex(/^\S+$/, 'must not contain spaces')
  .describe('A signing secret of your own (at least 32 characters); omit it and the relay generates one.');

const actorSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
  .describe('Who asks (e.g. the WordPress user); recorded. Defaults to the X-LayerSync-Actor header, else "admin-api".');

export const errorSchema = z
  .object({
    error: z.string().describe('Machine code, e.g. invalid_body, unauthorized, not_found, site_exists, replay_refused.'),
    message: z.string().describe('What went wrong and what to do, in words.'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Validation problems, one per field (path such as settings.access_token).'),
  })
  .describe('Every error answer.');

// ── Sites ──

export const siteSchema = z.object({
  site_id: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  secrets: z
    .array(z.object({ role: z.enum(['current', 'previous']), masked: z.string().describe('••••abcd: the last 4 characters only.') }))
    .describe('Active signing secrets, masked. Two during a rotation: requests signed with either are accepted.'),
  rotating: z.boolean().describe('True while a previous secret is still accepted (retire it once every sender has the new one).'),
  destinations: z.number().int().describe('Connected destinations.'),
  retention_days: z
    .number()
    .int()
    .describe('The relay deletes events (with their deliveries and decisions) this many days after they arrived, unless a delivery is still due; 0: kept (LAYERSYNC_RETENTION_DAYS).'),
}).meta({ id: 'Site' });

export const siteCreateBody = z
  .object({ site_id: siteIdSchema, secret: secretInputSchema.optional() })
  .strict();
export const siteRotateBody = z.object({ secret: secretInputSchema.optional() }).strict();

export const siteWithSecretSchema = z.object({
  site: siteSchema,
  secret: z
    .string()
    .optional()
    .describe('The generated signing secret, shown this once (absent when you supplied it). Paste it into the plugin settings now.'),
  warnings: z.array(z.string()),
});

export const siteParams = z.object({ site_id: siteIdSchema }).strict();

// ── Destinations ──

export const destinationSchema = z.object({
  id,
  site_id: z.string(),
  slug: z.string(),
  label: z.string(),
  enabled: z.boolean(),
  mode: modeSchema,
  settings: z
    .record(z.string(), z.unknown())
    .describe('The settings, secret fields masked (••••abcd). Sending a masked value back keeps the stored one.'),
  secret_fields: z.array(z.string()).describe('Which settings are secret (masked here, encrypted at rest).'),
  parked: z
    .object({ at: isoTime, reason: z.string() })
    .nullable()
    .describe('Set when the platform refused the credentials: nothing is sent until the settings change.'),
  event_map: z.record(z.string(), z.string().nullable()).nullable().describe('Per-site event map overrides.'),
  created_at: isoTime,
  updated_at: isoTime,
}).meta({ id: 'Destination' });

export const destinationCreateBody = z
  .object({
    site_id: siteIdSchema,
    slug: slugSchema,
    settings: z
      .record(z.string(), z.unknown())
      .describe("The destination's settings, validated by its settings schema (GET /v1/admin/destination-types)."),
    mode: modeSchema.default('live'),
    enabled: z.boolean().default(true),
  })
  .strict();

export const destinationPatchBody = z
  .object({
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Settings to change, merged into the stored ones: an omitted or masked (••••…) secret keeps its stored value; null removes an optional field. ' +
          'Changing settings un-parks the destination.',
      ),
    mode: modeSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const destinationParams = z.object({ id: z.coerce.number().int().positive().describe('Destination id.') }).strict();

export const destinationListQuery = z
  .object({ site: siteIdSchema.optional(), destination: slugSchema.optional() })
  .strict();

export const destinationTypeSchema = z.object({
  slug: z.string(),
  label: z.string(),
  settings_schema: z
    .record(z.string(), z.unknown())
    .describe('JSON Schema (2020-12) of the settings: title and description per field, "secret": true on secret fields.'),
  fields: z
    .array(
      z.object({
        name: z.string(),
        title: z.string(),
        description: z.string().nullable(),
        type: z.string().describe('string, boolean, number, integer, enum or object (JSON).'),
        required: z.boolean(),
        secret: z.boolean(),
        enum: z.array(z.string()).optional(),
        default: z.unknown().optional(),
      }),
    )
    .describe('The same fields as a flat list, in order, for rendering a form.'),
  secret_fields: z.array(z.string()),
  max_event_age_seconds: z.number().int().describe('Oldest event the platform accepts; replays are refused beyond it.'),
  default_event_map: z.record(z.string(), z.string()),
  supports_connection_test: z.boolean(),
}).meta({ id: 'DestinationType' });

export const diagnosisSchema = z.object({
  destination_id: id,
  ok: z.boolean(),
  code: z.string().describe('ok, token_expired, invalid_credentials, not_found, unreachable, not_supported, …'),
  message: z.string().describe('What the platform said, in words a merchant can act on (secrets removed).'),
  tested_at: isoTime,
});

// ── Events, deliveries, decisions ──

export const deliveryInEventSchema = z.object({
  id,
  destination_id: id,
  destination: z.string(),
  mode: modeSchema,
  platform_event_name: z.string().nullable(),
  status: statusSchema,
  attempts: z.number().int(),
  next_attempt_at: isoTime.nullable(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  payload: z.unknown().describe('The exact payload sent (or, in dry run, that would be sent).'),
  latency_ms: z.number().nullable(),
  updated_at: isoTime,
}).meta({ id: 'EventDelivery' });

export const decisionSchema = z.object({
  id: z.number().int().nullable(),
  event_id: z.string(),
  kept_event_id: z.string(),
  event_name: z.string(),
  order_id: z.string().nullable(),
  source: z.string(),
  received_at: isoTime,
  action: z.string().describe('accepted, merged or duplicate.'),
  merged_fields: z.array(z.string()),
  reason: z.string(),
}).meta({ id: 'Decision' });

export const eventSchema = z.object({
  site_id: z.string(),
  event_id: z.string(),
  event_name: z.string(),
  event_time: z.number().int().describe('Unix seconds.'),
  source: z.string(),
  received_at: isoTime,
  event: z.record(z.string(), z.unknown()).describe('The canonical event as stored (relay/schema/event.schema.json).'),
  deliveries: z.array(deliveryInEventSchema),
  decisions: z.array(decisionSchema).describe('Dedup and merge decisions on this event\'s copies.'),
}).meta({ id: 'Event' });

export const eventsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    site: siteIdSchema.optional(),
    event_id: eventIdSchema.optional(),
    order_id: z.string().min(1).max(128).optional().describe('Purchases and refunds with this order id.'),
    name: z.string().min(1).max(64).optional().describe('Event name, e.g. purchase or custom:quote.'),
    since: timeInputSchema.optional().describe(`Events that happened at or after (event_time): ${TIME_INPUT_HELP}.`),
    until: timeInputSchema.optional().describe(`Events that happened at or before (event_time): ${TIME_INPUT_HELP}.`),
    cursor: cursorSchema.optional(),
  })
  .strict();

export const eventParams = z.object({ site_id: siteIdSchema, event_id: eventIdSchema }).strict();

export const deliveryRowSchema = z.object({
  id,
  site_id: z.string(),
  event_id: z.string(),
  event_name: z.string(),
  event_time: z.number().int(),
  destination_id: id,
  destination: z.string(),
  mode: modeSchema,
  platform_event_name: z.string().nullable(),
  status: statusSchema,
  attempts: z.number().int(),
  next_attempt_at: isoTime.nullable(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  latency_ms: z.number().nullable(),
  created_at: isoTime,
  updated_at: isoTime,
}).meta({ id: 'Delivery' });

export const deliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    status: statusList.optional(),
    destination: slugSchema.optional(),
    destination_id: z.coerce.number().int().positive().optional(),
    site: siteIdSchema.optional(),
    since: timeInputSchema.optional().describe(`Deliveries of events that happened at or after: ${TIME_INPUT_HELP}.`),
    until: timeInputSchema.optional().describe(`Deliveries of events that happened at or before: ${TIME_INPUT_HELP}.`),
    cursor: cursorSchema.optional(),
  })
  .strict();

// ── Statistics ──

const countsSchema = z.record(statusSchema, z.number().int());
export const statsQuery = z
  .object({
    site: siteIdSchema.optional(),
    destination: slugSchema.optional(),
    since: timeInputSchema.optional().describe(`Start of the window (default 24h ago): ${TIME_INPUT_HELP}.`),
    until: timeInputSchema.optional().describe('End of the window (default now).'),
    bucket: z.enum(['5m', '15m', '1h', '6h', '1d']).optional().describe('Chart bucket size (default: about 48 buckets over the window).'),
  })
  .strict();
export const destinationStatsQuery = statsQuery.omit({ site: true, destination: true });

export const destinationStatsSchema = z.object({
  destination_id: id,
  site_id: z.string(),
  destination: z.string(),
  window: z.object({ since: isoTime, until: isoTime, bucket_seconds: z.number().int() }),
  total: z.number().int(),
  counts: countsSchema.describe('Deliveries that reached each status in the window (by last update).'),
  success_rate: z
    .number()
    .nullable()
    .describe('delivered / (delivered + failed + dead); null when nothing was settled. dry_run and skipped do not count.'),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), samples: z.number().int() }),
  buckets: z.array(z.object({ start: isoTime, counts: countsSchema })),
}).meta({ id: 'DestinationStats' });

// ── Replay ──

export const REPLAYABLE_STATUSES = ['failed', 'dead', 'delivered', 'dry_run'] as const;

export const replayBody = z
  .object({
    event_id: eventIdSchema.optional().describe('Replay this event (scope "event").'),
    site_id: siteIdSchema.optional(),
    destination: slugSchema.optional().describe('Replay this destination (scope "destination"), or limit the others to it.'),
    destination_id: id.optional().describe('Replay this one connection (scope "destination").'),
    since: timeInputSchema.optional().describe('Window start on event_time (scope "window" when no event or destination is given).'),
    until: timeInputSchema.optional().describe('Window end on event_time.'),
    statuses: z
      .array(z.enum(REPLAYABLE_STATUSES))
      .min(1)
      .optional()
      .describe('Which settled deliveries to send again. Default: all of them for an event; failed and dead otherwise.'),
    requested_by: actorSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.event_id === undefined && b.destination === undefined && b.destination_id === undefined && (b.since === undefined || b.until === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'say what to replay: event_id, a destination (destination or destination_id), or a window (since and until)',
      });
    }
  });

export const replaySchema = z.object({
  id,
  requested_at: isoTime,
  requested_by: z.string(),
  scope: z.enum(['event', 'destination', 'window']),
  params: z.record(z.string(), z.unknown()),
  requeued: z.number().int(),
  refused: z.number().int(),
  reason: z.string().nullable(),
}).meta({ id: 'Replay' });

export const replayResultSchema = z.object({
  replay: replaySchema,
  requeued: z.number().int().describe('Deliveries queued to be sent again.'),
  refused: z
    .array(z.object({ delivery_id: id, destination: z.string(), event_id: z.string(), reason: z.string() }))
    .describe('Deliveries not replayed and why (first 100).'),
  refused_count: z.number().int(),
  warnings: z.array(z.string()).describe('E.g. a destination is disabled, parked or in dry run, so the replay will not reach the platform yet.'),
});

export const replaysQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict();

// ── Privacy ──

const hashes = z.union([sha256, z.array(sha256).min(1).max(1000)]);
export const privacyDeleteBody = z
  .object({
    site_id: siteIdSchema.optional().describe('Only this site (default: every site).'),
    external_id: z
      .union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1).max(1000)])
      .optional()
      .describe("The site's own customer id(s), as sent before hashing; the relay hashes them like the plugin (trim, SHA-256)."),
    external_id_sha256: hashes.optional().describe('SHA-256 of the external id(s), lowercase hex.'),
    email_sha256: hashes.optional().describe('SHA-256 of the normalized email(s) (trimmed, lowercased), lowercase hex.'),
    phone_sha256: hashes.optional().describe('SHA-256 of the phone(s) as E.164 digits without "+", lowercase hex.'),
    dry_run: z.boolean().default(false).describe('Only count what would be deleted.'),
    requested_by: actorSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.external_id === undefined && b.external_id_sha256 === undefined && b.email_sha256 === undefined && b.phone_sha256 === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give at least one of external_id, external_id_sha256, email_sha256, phone_sha256' });
    }
  });

export const privacyDeleteResultSchema = z.object({
  dry_run: z.boolean(),
  deleted: z
    .object({
      events: z.number().int(),
      deliveries: z.number().int(),
      decisions: z.number().int(),
      order_keys: z.number().int(),
      replay_items: z.number().int(),
      identities: z.number().int(),
    })
    .describe('What was (or, in a dry run, would be) deleted.'),
});

// ── Export ──

export const exportQuery = z
  .object({
    format: z.enum(['csv', 'ndjson']).default('ndjson'),
    site: siteIdSchema.optional(),
    destination: slugSchema.optional().describe('Deliveries export only.'),
    status: statusList.optional().describe('Deliveries export only: comma-separated statuses.'),
    since: timeInputSchema.optional().describe(`Events that happened at or after: ${TIME_INPUT_HELP}.`),
    until: timeInputSchema.optional().describe(`Events that happened at or before: ${TIME_INPUT_HELP}.`),
  })
  .strict();

export const exportParams = z.object({ kind: z.enum(['events', 'deliveries']) }).strict();

export const listOf = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  z.object({ [key]: z.array(item) } as { [P in K]: z.ZodArray<T> });
