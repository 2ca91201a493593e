/**
 * Google Analytics 4 via the Measurement Protocol (server-side events for a web stream).
 * Facts: /work/shared/platforms/meta-ga4-googleads-tiktok.md §2 (G1 reference, G3 validation
 * server, G6 dedup). See api.ts for limits, map.ts for the payload, classify.ts for outcomes.
 */
import { redactSecrets } from '../shared/redact.js';
import type { ConnectionDiagnosis, DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  GA4_DEFAULT_ORIGIN,
  GA4_HEADERS,
  GA4_MAX_BODY_BYTES,
  GA4_MAX_EVENT_AGE_SECONDS,
  GA4_MAX_EVENTS_PER_REQUEST,
  GA4_ORIGINS,
  GA4_REQUEST_TIMEOUT_MS,
  ga4CollectUrl,
} from './api.js';
import {
  classifyHttp,
  classifyNetworkError,
  classifyValidation,
  describeMessage,
  parseValidationMessages,
} from './classify.js';
import { GA4_DEFAULT_EVENT_MAP, mapToGa4, type Ga4Event, type Ga4Payload, type Ga4RequestFields } from './map.js';
import { ga4Settings, type Ga4Settings } from './settings.js';

export { GA4_MEASUREMENT_ID_PATTERN, ga4Settings, type Ga4Settings } from './settings.js';
export type { Ga4Payload } from './map.js';

/** The body of one Measurement Protocol request. */
export interface Ga4RequestBody extends Ga4RequestFields {
  events: Ga4Event[];
  validation_behavior?: 'RELAXED' | 'ENFORCE_RECOMMENDATIONS';
}

function isGa4Payload(p: unknown): p is Ga4Payload {
  const o = p as Partial<Ga4Payload> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.request?.client_id === 'string' &&
    typeof o.event?.name === 'string' &&
    typeof o.event.timestamp_micros === 'number' &&
    typeof o.event.params === 'object'
  );
}

/** Requests are per client: events may share one only when every request-level field is equal. */
function requestKey(r: Ga4RequestFields): string {
  return JSON.stringify([r.client_id, r.user_id ?? null, r.consent ?? null, r.user_data ?? null, r.ip_override ?? null]);
}

function buildBody(request: Ga4RequestFields, events: Ga4Event[], debug: boolean): Ga4RequestBody {
  const body: Ga4RequestBody = { ...request, events };
  // G3: strict validation is for the validation server in development; production requests
  // leave it unset so Google keeps as much data as it can.
  if (debug) body.validation_behavior = 'ENFORCE_RECOMMENDATIONS';
  return body;
}

function origin(ctx: SendContext<Ga4Settings>): string {
  return ctx.baseUrl ?? GA4_ORIGINS[ctx.settings.region ?? 'global'];
}

interface Chunk {
  request: Ga4RequestFields;
  /** Indexes into the `payloads` given to send. */
  indexes: number[];
  body: string;
}

/**
 * Splits one client's events into requests of ≤ 25 events (G1) and < 130 kB (G1): a group over
 * the size limit is halved until it fits; a single event that cannot fit is dropped.
 */
function chunk(
  request: Ga4RequestFields,
  members: { index: number; event: Ga4Event }[],
  debug: boolean,
  drop: (index: number, error: string) => void,
): Chunk[] {
  const out: Chunk[] = [];
  const pending: (typeof members)[] = [];
  for (let i = 0; i < members.length; i += GA4_MAX_EVENTS_PER_REQUEST) pending.push(members.slice(i, i + GA4_MAX_EVENTS_PER_REQUEST));
  while (pending.length > 0) {
    const group = pending.shift()!;
    const body = JSON.stringify(buildBody(request, group.map((m) => m.event), debug));
    if (Buffer.byteLength(body) < GA4_MAX_BODY_BYTES) {
      out.push({ request, indexes: group.map((m) => m.index), body });
    } else if (group.length > 1) {
      const half = Math.ceil(group.length / 2);
      pending.unshift(group.slice(0, half), group.slice(half));
    } else {
      drop(group[0]!.index, `GA4: the event alone is ${Buffer.byteLength(body)} bytes; a request must be under ${GA4_MAX_BODY_BYTES} bytes`);
    }
  }
  return out;
}

async function sendGa4(payloads: unknown[], ctx: SendContext<Ga4Settings>): Promise<DeliveryOutcome[]> {
  const { settings, http } = ctx;
  const debug = settings.debug_mode === true;
  const secrets = [settings.api_secret];
  const nowMs = ctx.nowMs ?? Date.now();
  const outcomes: (DeliveryOutcome | undefined)[] = new Array(payloads.length).fill(undefined);
  const drop = (i: number, error: string) => {
    outcomes[i] = { kind: 'drop', error };
  };

  // Group by request-level fields, keeping first-seen order (Map preserves insertion order).
  const groups = new Map<string, { request: Ga4RequestFields; members: { index: number; event: Ga4Event }[] }>();
  const oldestMicros = (nowMs / 1000 - GA4_MAX_EVENT_AGE_SECONDS) * 1_000_000;
  payloads.forEach((p, index) => {
    if (!isGa4Payload(p)) return drop(index, 'GA4: payload is not a mapped GA4 event (was it mapped by another destination?)');
    // A retry can push an event past the 72 h window after it was mapped; Google would discard
    // it without saying so (G1), so it is dropped here with the reason.
    if (p.event.timestamp_micros < oldestMicros) {
      return drop(index, `GA4: event is now older than ${GA4_MAX_EVENT_AGE_SECONDS / 3600} h; Google discards backdated events beyond that`);
    }
    const key = requestKey(p.request);
    const g = groups.get(key) ?? { request: p.request, members: [] };
    g.members.push({ index, event: p.event });
    groups.set(key, g);
  });

  const chunks: Chunk[] = [];
  for (const g of groups.values()) chunks.push(...chunk(g.request, g.members, debug, drop));

  const url = ga4CollectUrl(origin(ctx), settings.measurement_id, settings.api_secret, debug);
  let halted: DeliveryOutcome | undefined;
  for (const c of chunks) {
    if (halted) {
      // Google is failing or throttling us: the rest of this batch is not attempted now.
      for (const i of c.indexes) outcomes[i] = halted;
      continue;
    }
    let results: DeliveryOutcome[];
    try {
      const res = await http.request({
        method: 'POST',
        url,
        headers: { ...GA4_HEADERS },
        body: c.body,
        timeoutMs: GA4_REQUEST_TIMEOUT_MS,
        signal: ctx.signal,
      });
      const whole = classifyHttp(res, nowMs, secrets);
      if (whole.kind === 'delivered' && debug) {
        const messages = parseValidationMessages(res.body);
        results = messages
          ? classifyValidation(messages, c.indexes.length, res.status, secrets)
          : c.indexes.map(() => ({
              kind: 'drop',
              status: res.status,
              error: `GA4 validation server answered without validationMessages: ${redactSecrets(res.body.slice(0, 200), secrets)}`,
            }));
      } else {
        results = c.indexes.map(() => whole);
      }
      if (whole.kind === 'retry') halted = { ...whole, error: `not sent: an earlier request of this batch got "${whole.error}"` };
    } catch (err) {
      const outcome = classifyNetworkError(err, secrets);
      results = c.indexes.map(() => outcome);
      halted = { kind: 'retry', error: `not sent: an earlier request of this batch got "${outcome.error}"` };
    }
    c.indexes.forEach((payloadIndex, k) => {
      outcomes[payloadIndex] = results[k]!;
    });
  }
  return outcomes.map((o) => o ?? { kind: 'drop', error: 'GA4: internal error, no outcome recorded' });
}

/**
 * The clearest check Google allows: a minimal event sent to the validation server (never
 * recorded, G3). It proves the origin is reachable and the measurement ID is well-formed, but
 * Google does not validate the api_secret there (G3), nor anywhere a server can see (the
 * production endpoint accepts a wrong secret with 2xx, G1) — the message says so.
 */
async function testGa4Connection(ctx: SendContext<Ga4Settings>): Promise<ConnectionDiagnosis> {
  const parsed = ga4Settings.safeParse(ctx.settings);
  if (!parsed.success) {
    const idIssue = parsed.error.issues.find((i) => i.path[0] === 'measurement_id');
    if (idIssue) {
      return {
        ok: false,
        code: 'invalid_measurement_id',
        message: `Invalid measurement ID: it ${idIssue.message}.`,
      };
    }
    const secretIssue = parsed.error.issues.find((i) => i.path[0] === 'api_secret');
    return {
      ok: false,
      code: secretIssue ? 'invalid_credentials' : 'invalid_settings',
      message: secretIssue
        ? `The API secret ${secretIssue.message}.`
        : `The GA4 settings are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}.`,
    };
  }
  const settings = parsed.data;
  const secrets = [settings.api_secret];
  const nowMs = ctx.nowMs ?? Date.now();
  const body: Ga4RequestBody = {
    client_id: `1.${Math.floor(nowMs / 1000)}`,
    events: [{ name: 'layersync_connection_test', timestamp_micros: Math.floor(nowMs / 1000) * 1_000_000, params: { engagement_time_msec: 1 } }],
    validation_behavior: 'ENFORCE_RECOMMENDATIONS',
  };
  const url = ga4CollectUrl(ctx.baseUrl ?? GA4_ORIGINS[settings.region], settings.measurement_id, settings.api_secret, true);
  let res;
  try {
    res = await ctx.http.request({
      method: 'POST',
      url,
      headers: { ...GA4_HEADERS },
      body: JSON.stringify(body),
      timeoutMs: GA4_REQUEST_TIMEOUT_MS,
      signal: ctx.signal,
    });
  } catch (err) {
    return {
      ok: false,
      code: 'unreachable',
      message: `Could not reach Google Analytics (${classifyNetworkError(err, secrets).error}). Check that the relay can make outbound HTTPS requests.`,
    };
  }
  const outcome = classifyHttp(res, nowMs, secrets);
  if (outcome.kind === 'retry') {
    return { ok: false, code: 'unavailable', message: `${outcome.error}. Try again in a few minutes.` };
  }
  if (outcome.kind !== 'delivered') {
    const error = outcome.kind === 'drop' ? outcome.error : `Unexpected answer (${outcome.kind})`;
    return { ok: false, code: 'unexpected_response', message: `${error}. Check the region setting.` };
  }
  const messages = parseValidationMessages(res.body);
  if (!messages) {
    return {
      ok: false,
      code: 'unexpected_response',
      message: `Google Analytics answered HTTP ${res.status} without validation messages; check the region setting.`,
    };
  }
  const idMessage = messages.find((m) => /measurement_id/i.test(m.fieldPath) || /measurement[ _]id/i.test(m.description));
  if (idMessage) {
    return { ok: false, code: 'invalid_measurement_id', message: redactSecrets(`Google Analytics rejected the measurement ID ${settings.measurement_id}: ${idMessage.description}`, secrets) };
  }
  if (messages.length > 0) {
    return {
      ok: false,
      code: 'validation_failed',
      message: redactSecrets(`Google Analytics' validation server rejected a test event: ${messages.map(describeMessage).join('; ')}`, secrets),
    };
  }
  return {
    ok: true,
    code: 'ok',
    message:
      `OK: Google Analytics validated a test event for ${settings.measurement_id}. Google does not confirm API secrets to servers — ` +
      'a wrong secret is accepted and its events silently discarded — so after the first real event, check Reports → Realtime.',
  };
}

/** The GA4 Measurement Protocol destination. */
export const ga4: Destination<Ga4Settings> = {
  slug: 'ga4',
  label: 'Google Analytics 4',
  settings: ga4Settings,
  maxBatchSize: GA4_MAX_EVENTS_PER_REQUEST,
  /**
   * GA4 never rejects a request because of one bad event: production answers 2xx and silently
   * discards what it cannot use (G1); the validation server reports per event (G3). Bisecting
   * would gain nothing, so outcomes are per item.
   */
  batchRejection: 'per-item',
  maxEventAgeSeconds: GA4_MAX_EVENT_AGE_SECONDS,
  defaultEventMap: GA4_DEFAULT_EVENT_MAP,
  defaultBaseUrl: GA4_DEFAULT_ORIGIN,
  map: mapToGa4,
  send: sendGa4,
  testConnection: testGa4Connection,
};
