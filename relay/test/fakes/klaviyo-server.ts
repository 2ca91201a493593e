/**
 * A local fake of Klaviyo's Create Event endpoint, strict the way Klaviyo documents it, and with
 * Klaviyo's deduplication modelled so tests can see what Klaviyo would keep.
 *
 *   POST /api/events   JSON:API event → 202, empty body
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * `events` lists what "Klaviyo" kept: only the first event per (profile, metric, unique_id), and
 * without unique_id per (profile, metric, time to the second) (K1; WALKEROS measured the silent
 * same-second drop). A repeat still answers 202 — Klaviyo validates, queues, and drops later.
 *
 * Standalone: `tsx relay/test/fakes/klaviyo-server.ts --port 8800 [--keys pk_a,pk_b] [--quiet]`.
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md
 * §6; K1 = Klaviyo OpenAPI revision 2026-04-15, K2 = "Rate limits, status codes, and errors",
 * SEG = Segment's docs PR on the events scope). Errors use K1's JSON:API error objects
 * {id, status, code, title, detail, source}; titles and details are the fake's wording where
 * Klaviyo's is UNCONFIRMED.
 */
import { randomUUID } from 'node:crypto';
import { fakeHandle, isMainModule, isObject, listArg, logEach, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

export const FAKE_KLAVIYO_KEY = 'pk_fakeKlaviyoPrivateKey0123456789abcdef';
/** A key without the events:write scope. */
export const FAKE_KLAVIYO_READONLY_KEY = 'pk_fakeKlaviyoReadOnlyKey0123456789abc';
export const FAKE_KLAVIYO_REVISIONS = ['2025-01-15', '2025-10-15', '2026-01-15', '2026-04-15'];

const PROFILE_IDENTIFIERS = ['id', 'email', 'phone_number', 'external_id', 'anonymous_id', '_kx'] as const; // K1
const PROFILE_FIELDS = [...PROFILE_IDENTIFIERS, 'first_name', 'last_name', 'organization', 'locale', 'title', 'image', 'location', 'properties', 'meta']; // K1
const ATTRIBUTE_FIELDS = ['properties', 'time', 'value', 'value_currency', 'unique_id', 'backfill', 'metric', 'profile']; // K1
const MAX_PROPERTIES = 400; // K1
const MAX_STRING_BYTES = 100 * 1024; // K1
const MAX_METRIC_NAME = 127; // K1: "less than 128 characters"

export type FakeKlaviyoFailure = 500 | 503 | 429 | 'timeout' | 'auth';

export interface StartFakeKlaviyoOptions extends FakeOptions {
  /** key → scopes. Default: FAKE_KLAVIYO_KEY with events:write, FAKE_KLAVIYO_READONLY_KEY with events:read. */
  keys?: Record<string, string[]>;
  revisions?: string[];
  /** Now in ms. Default: the clock. */
  now?: () => number;
}

/** An event Klaviyo kept after deduplication. */
export interface KlaviyoStoredEvent {
  profileKey: string;
  metric: string;
  uniqueId: string;
  time: string;
  body: unknown;
}

export interface KlaviyoReceived extends Received {
  /** True when the event was accepted (202) but Klaviyo would drop it as a repeat. */
  duplicate?: boolean;
}

export interface FakeKlaviyo extends FakeHandle<KlaviyoReceived, FakeKlaviyoFailure> {
  /** Events kept after Klaviyo's deduplication, in order. */
  readonly events: KlaviyoStoredEvent[];
}

export async function startFakeKlaviyo(options: StartFakeKlaviyoOptions = {}): Promise<FakeKlaviyo> {
  const cfg: HandleConfig = {
    keys: options.keys ?? { [FAKE_KLAVIYO_KEY]: ['events:write', 'events:read'], [FAKE_KLAVIYO_READONLY_KEY]: ['events:read'] },
    revisions: new Set(options.revisions ?? FAKE_KLAVIYO_REVISIONS),
    now: options.now ?? (() => Date.now()),
    stored: new Map(),
  };
  const retryAfter = options.retryAfterSeconds ?? 3;
  const log = options.log;
  const server = await startFakeServer(
    {
      name: 'klaviyo',
      handle: (req) => handle(req, cfg),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return klaviyoError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'Incorrect authentication credentials.');
          case 429:
            // K2: 429 with Retry-After; the wording follows Klaviyo's throttle message (UNCONFIRMED).
            return klaviyoError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${retryAfter} seconds.`, undefined, {
              'retry-after': String(retryAfter),
            });
          case 503:
            return klaviyoError(503, 'service_unavailable', 'Service unavailable.', 'The service is temporarily unavailable. Please try again later.');
          default:
            return klaviyoError(500, 'error', 'A server error occurred.', 'A server error occurred.');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<KlaviyoReceived, FakeKlaviyoFailure, Pick<FakeKlaviyo, 'events'>>(server, {
    onReset: () => cfg.stored.clear(),
    extra: {
      get events() {
        return [...cfg.stored.values()];
      },
    },
  });
}

interface HandleConfig {
  keys: Record<string, string[]>;
  revisions: Set<string>;
  now: () => number;
  stored: Map<string, KlaviyoStoredEvent>;
}

function handle(req: FakeRequest, cfg: HandleConfig): FakeResponse {
  if (req.path !== '/api/events' && req.path !== '/api/events/') return klaviyoError(404, 'not_found', 'Not found.', `No route for ${req.path}.`);
  if (req.method !== 'POST') return klaviyoError(405, 'method_not_allowed', 'Method not allowed.', `Method "${req.method}" not allowed.`);

  // Authentication and scope come before the body (K1 scopes; see the destination's connection test).
  const auth = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
  const m = /^Klaviyo-API-Key (\S+)$/.exec(auth);
  const scopes = m ? cfg.keys[m[1]!] : undefined;
  if (scopes === undefined) {
    return m
      ? klaviyoError(401, 'not_authenticated', 'Incorrect authentication credentials.', 'Incorrect authentication credentials.')
      : klaviyoError(401, 'not_authenticated', 'Authentication credentials were not provided.', 'Missing or invalid private key.');
  }
  if (!scopes.includes('events:write')) {
    // SEG: a key without the Events scope answers 403.
    return klaviyoError(403, 'permission_denied', 'You do not have permission to perform this action.', 'This API key is missing required scopes: events:write.');
  }
  const revision = typeof req.headers.revision === 'string' ? req.headers.revision : undefined;
  if (revision === undefined) return klaviyoError(400, 'invalid', 'Invalid input.', 'The revision header is required.', { parameter: 'revision' });
  if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(revision) || !cfg.revisions.has(revision)) {
    return klaviyoError(400, 'invalid', 'Invalid input.', `The revision ${revision} is not a supported API revision.`, { parameter: 'revision' });
  }
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/vnd.api+json' && type !== 'application/json') {
    return klaviyoError(415, 'unsupported_media_type', 'Unsupported media type.', `Unsupported media type "${type}" in request.`);
  }
  if (req.json === undefined) return klaviyoError(400, 'parse_error', 'Malformed request.', 'The request body is not valid JSON.');

  const now = cfg.now();
  const problem = eventProblem(req.json, now);
  if (problem !== undefined) return klaviyoError(400, 'invalid', 'Invalid input.', problem.detail, { pointer: problem.pointer });

  const attributes = (req.json as { data: { attributes: Record<string, unknown> } }).data.attributes;
  const profile = (attributes.profile as { data: { id?: string; attributes: Record<string, unknown> } }).data;
  const ident = profile.id !== undefined ? `id:${profile.id}` : PROFILE_IDENTIFIERS.filter((k) => profile.attributes[k] != null).map((k) => `${k}:${String(profile.attributes[k])}`)[0]!;
  const metric = (attributes.metric as { data: { attributes: { name: string } } }).data.attributes.name;
  const timeMs = typeof attributes.time === 'string' ? Date.parse(attributes.time) : now;
  const time = new Date(Math.floor(timeMs / 1000) * 1000).toISOString();
  // K1: unique_id dedups per (profile, metric); without it the time to the second is the key.
  const uniqueId = typeof attributes.unique_id === 'string' ? attributes.unique_id : `time:${time}`;
  const key = `${ident}|${metric}|${uniqueId}`;
  const duplicate = cfg.stored.has(key);
  if (!duplicate) cfg.stored.set(key, { profileKey: ident, metric, uniqueId, time, body: req.json });
  return { status: 202, body: '', record: { duplicate } };
}

/** The first reason Klaviyo would refuse the event, as a JSON pointer and a detail. */
function eventProblem(body: unknown, now: number): { pointer: string; detail: string } | undefined {
  if (!isObject(body) || !isObject(body.data)) return { pointer: '/data', detail: 'data is required and must be an object.' };
  const data = body.data;
  if (data.type !== 'event') return { pointer: '/data/type', detail: `"${String(data.type)}" is not a valid type; expected "event".` };
  if (!isObject(data.attributes)) return { pointer: '/data/attributes', detail: 'attributes is required.' };
  const a = data.attributes;
  for (const key of Object.keys(a)) if (!ATTRIBUTE_FIELDS.includes(key)) return { pointer: `/data/attributes/${key}`, detail: `"${key}" is not a valid field for the resource "event".` };

  // K1: properties, metric and profile are required.
  if (!isObject(a.properties)) return { pointer: '/data/attributes/properties', detail: 'properties is required and must be an object.' };
  if (Object.keys(a.properties).length > MAX_PROPERTIES) return { pointer: '/data/attributes/properties', detail: `An event may not have more than ${MAX_PROPERTIES} properties.` };
  for (const [k, v] of Object.entries(a.properties)) {
    if (typeof v === 'string' && Buffer.byteLength(v) > MAX_STRING_BYTES) return { pointer: `/data/attributes/properties/${k}`, detail: 'Strings may not be larger than 100 KB.' };
  }
  const metric = a.metric;
  if (!isObject(metric) || !isObject(metric.data)) return { pointer: '/data/attributes/metric', detail: 'metric is required.' };
  if (metric.data.type !== 'metric') return { pointer: '/data/attributes/metric/data/type', detail: 'Expected type "metric".' };
  const name = isObject(metric.data.attributes) ? metric.data.attributes.name : undefined;
  if (typeof name !== 'string' || name.trim() === '') return { pointer: '/data/attributes/metric/data/attributes/name', detail: 'The metric name is required.' };
  if (name.length > MAX_METRIC_NAME) return { pointer: '/data/attributes/metric/data/attributes/name', detail: 'The metric name must be less than 128 characters.' };

  const profile = a.profile;
  if (!isObject(profile) || !isObject(profile.data)) return { pointer: '/data/attributes/profile', detail: 'profile is required.' };
  if (profile.data.type !== 'profile') return { pointer: '/data/attributes/profile/data/type', detail: 'Expected type "profile".' };
  if (!isObject(profile.data.attributes)) return { pointer: '/data/attributes/profile/data/attributes', detail: 'profile attributes are required.' };
  const p = profile.data.attributes;
  for (const key of Object.keys(p)) if (!PROFILE_FIELDS.includes(key)) return { pointer: `/data/attributes/profile/data/attributes/${key}`, detail: `"${key}" is not a valid profile field.` };
  // K1: at least one profile identifier (id, email, phone_number, external_id, anonymous_id, _kx).
  const hasId = typeof profile.data.id === 'string' || PROFILE_IDENTIFIERS.some((k) => typeof p[k] === 'string' && (p[k] as string) !== '');
  if (!hasId) return { pointer: '/data/attributes/profile', detail: 'A profile identifier is required: one of id, email, phone_number, external_id, anonymous_id or _kx.' };
  // Klaviyo takes raw PII (notes §6): a hash is not an email address, and phone numbers are E.164 (K1).
  if (p.email !== undefined && (typeof p.email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(p.email))) {
    return { pointer: '/data/attributes/profile/data/attributes/email', detail: `Invalid email address: ${String(p.email)}` };
  }
  if (p.phone_number !== undefined && (typeof p.phone_number !== 'string' || !/^\+[1-9]\d{1,14}$/.test(p.phone_number))) {
    return { pointer: '/data/attributes/profile/data/attributes/phone_number', detail: 'Invalid phone number format (Example of a valid format: +12345678901).' };
  }
  if (p.external_id !== undefined && (typeof p.external_id !== 'string' || p.external_id === '')) {
    return { pointer: '/data/attributes/profile/data/attributes/external_id', detail: 'external_id must be a non-empty string.' };
  }
  if (p.location !== undefined && !isObject(p.location)) return { pointer: '/data/attributes/profile/data/attributes/location', detail: 'location must be an object.' };

  // K1: time is ISO 8601, after the year 2000 and at most one year ahead.
  if (a.time !== undefined) {
    const t = typeof a.time === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a.time) ? Date.parse(a.time) : Number.NaN;
    if (Number.isNaN(t)) return { pointer: '/data/attributes/time', detail: 'time must be an ISO 8601 datetime.' };
    if (t < Date.UTC(2000, 0, 1) || t > now + 365 * 86_400_000) return { pointer: '/data/attributes/time', detail: 'The time must be after the year 2000 and can only be up to 1 year in the future.' };
  }
  if (a.value !== undefined && (typeof a.value !== 'number' || !Number.isFinite(a.value))) return { pointer: '/data/attributes/value', detail: 'value must be a number.' };
  if (a.value_currency !== undefined && (typeof a.value_currency !== 'string' || !/^[A-Z]{3}$/.test(a.value_currency))) {
    return { pointer: '/data/attributes/value_currency', detail: 'value_currency must be an ISO 4217 currency code.' };
  }
  if (a.unique_id !== undefined && typeof a.unique_id !== 'string') return { pointer: '/data/attributes/unique_id', detail: 'unique_id must be a string.' };
  if (a.backfill !== undefined && typeof a.backfill !== 'boolean') return { pointer: '/data/attributes/backfill', detail: 'backfill must be a boolean.' };
  return undefined;
}

function klaviyoError(
  status: number,
  code: string,
  title: string,
  detail: string,
  source?: { pointer?: string; parameter?: string },
  headers?: Record<string, string>,
): FakeResponse {
  return {
    status,
    body: { errors: [{ id: randomUUID(), status, code, title, detail, source: source ?? { pointer: '/data/' }, links: {}, meta: {} }] },
    headers: { 'content-type': 'application/vnd.api+json', ...headers },
  };
}

function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = 'Klaviyo-API-Key [redacted]';
  return JSON.stringify({ fake: 'klaviyo', status: entry.status, duplicate: entry.duplicate, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) => {
    const keys = listArg(args.keys);
    return startFakeKlaviyo({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_KLAVIYO_PORT', 8800),
      keys: keys === undefined ? undefined : Object.fromEntries(keys.map((k) => [k, ['events:write']])),
    });
  });
}
