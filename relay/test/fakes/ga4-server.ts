/**
 * A local stand-in for the GA4 Measurement Protocol, validating like Google documents it.
 *
 *   POST /mp/collect?measurement_id=G-…&api_secret=…        → 204, always (even for junk, G1)
 *   POST /debug/mp/collect?measurement_id=G-…&api_secret=…  → 200 {"validationMessages":[…]} (G3)
 *
 * Because production answers 204 whatever it gets, the fake keeps its own verdict for every
 * request (`verdicts`, `rejected`) so tests can assert that the relay never sends anything GA4
 * would silently discard. Standalone: `tsx relay/test/fakes/ga4-server.ts --port 8792
 * [--measurement-ids G-A,G-B] [--api-secrets s1,s2]`; set LAYERSYNC_FAKE_LOG=1 to print verdicts.
 *
 * The rules are written here independently of relay/src/destinations/ga4 on purpose: a fake that
 * imported the relay's own limits would agree with every bug in them. Sources (see
 * /work/shared/platforms/meta-ga4-googleads-tiktok.md §2): G1 MP reference, G2 sending events,
 * G3 validating events, G4 use cases, G5 user-provided data, G7 naming rules, G8 collection
 * limits, G9 recommended events; "UP" = the MP user-properties page. Message texts follow the one
 * example Google documents (G3: fieldPath "events", "Event at index: [0] has invalid name […]");
 * the wording of the other messages is ours (UNCONFIRMED), the validation codes are Google's.
 */
import { isIP } from 'node:net';
import { SHA256_HEX, isMainModule, runStandalone, startFakeServer, type FakeRequest, type FakeResponse, type FakeServer } from './base.js';

export type Ga4ValidationCode =
  | 'VALUE_INVALID'
  | 'VALUE_REQUIRED'
  | 'NAME_INVALID'
  | 'NAME_RESERVED'
  | 'VALUE_OUT_OF_BOUNDS'
  | 'EXCEEDED_MAX_ENTITIES'
  | 'NAME_DUPLICATED';

export interface FakeGa4Message {
  fieldPath: string;
  description: string;
  validationCode: Ga4ValidationCode;
}

export interface Ga4Verdict {
  at: number;
  endpoint: 'collect' | 'debug';
  /** Whether GA4 would have recorded it (collect) or the validator found nothing (debug). */
  accepted: boolean;
  messages: FakeGa4Message[];
  query: Record<string, string>;
  body: unknown;
}

export interface FakeGa4 extends FakeServer {
  /** One verdict per /mp/collect or /debug/mp/collect request, in order. */
  verdicts: Ga4Verdict[];
  /** Verdicts with at least one message: what Google would have dropped or flagged. */
  readonly rejected: Ga4Verdict[];
  /** Events GA4 would have recorded: those of accepted /mp/collect requests. */
  readonly recordedEvents: { client_id: string; user_id?: string; name: string; params: Record<string, unknown> }[];
  /**
   * The next GA4 request gets exactly this answer instead of the validated one (e.g. a 400 from
   * a misbehaving proxy, a 429 with an HTTP-date Retry-After). The request is still validated
   * and its verdict kept. Complements base `failNext`, whose kinds are fixed.
   */
  respondNext(res: FakeResponse): void;
}

export interface FakeGa4Options {
  port?: number;
  /** Known web streams; when given, /mp/collect discards requests for any other (silently, like GA4). */
  measurementIds?: string[];
  /** Valid API secrets; when given, /mp/collect discards other secrets (silently, G1). The validator never checks them (G3). */
  apiSecrets?: string[];
  /** Clock in ms, for timestamp checks. */
  now?: () => number;
}

// ---- Google's rules ---------------------------------------------------------------------------

const MAX_BODY_BYTES = 130_000; // "< 130 kB" (G1)
const MAX_EVENTS = 25; // G1
const MAX_PARAMS = 25; // G8
const MAX_NAME = 40; // event and parameter names (G7, G8)
const MAX_VALUE = 100; // parameter values, standard properties (G8)
const LONG_VALUES: Record<string, number> = { page_location: 1000, page_referrer: 420, page_title: 300 }; // G8 exceptions
const MAX_USER_ID = 256; // G8
const MAX_USER_PROPERTIES = 25; // G8, UP
const MAX_USER_PROPERTY_NAME = 24; // G8
const MAX_USER_PROPERTY_VALUE = 36; // G8
const MAX_BACKDATE_MICROS = 72 * 3600 * 1_000_000; // G1, G4
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/; // G7
const RESERVED_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.']; // G7
const RESERVED_EVENTS = new Set([
  // MP reference reserved event names (= Firebase SDK list), G1
  'ad_activeview', 'ad_click', 'ad_exposure', 'ad_impression', 'ad_query', 'ad_reward', 'adunit_exposure',
  'app_background', 'app_clear_data', 'app_exception', 'app_remove', 'app_store_refund',
  'app_store_subscription_cancel', 'app_store_subscription_convert', 'app_store_subscription_renew',
  'app_update', 'app_upgrade', 'error', 'first_open', 'first_visit', 'in_app_purchase', 'os_update',
  'screen_view', 'session_start', 'session_start_with_rollout', 'user_engagement',
]);
const RESERVED_EVENT_FAMILIES = ['dynamic_link_', 'firebase_', 'notification_']; // G1 (dynamic_link_*, firebase_*, notification_*)
const RESERVED_PARAMS = new Set(['gclid', 'session_number']); // G7; session_id and engagement_time_msec are MP's own (G2)
const RESERVED_USER_PROPERTIES = new Set(['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install']); // UP
const TOP_LEVEL = new Set([
  // G1 JSON POST body
  'client_id', 'app_instance_id', 'user_id', 'timestamp_micros', 'user_properties', 'user_data', 'consent',
  'non_personalized_ads', 'user_location', 'ip_override', 'device', 'validation_behavior', 'events',
]);
const USER_DATA_KEYS = new Set(['sha256_email_address', 'sha256_phone_number', 'address']); // G5
const ADDRESS_HASHED = new Set(['sha256_first_name', 'sha256_last_name', 'sha256_street']); // G5
const ADDRESS_PLAIN = new Set(['city', 'region', 'postal_code', 'country']); // G5: normalized, not hashed
const MEASUREMENT_ID = /^G-[A-Z0-9]+$/;
const CONSENT_KEYS = new Set(['ad_user_data', 'ad_personalization']); // G1 consent section
const CONSENT_VALUES = new Set(['GRANTED', 'DENIED']);
const TRANSACTION_EVENTS = new Set(['purchase', 'refund']); // transaction_id required (G9, G6)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const chars = (s: string) => Array.from(s).length;
/** Proto3 JSON int64: a number or a string of digits. */
const isInt64 = (v: unknown) => (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));

function nameProblem(name: string, kind: 'event' | 'param' | 'item param'): { code: Ga4ValidationCode; why: string } | undefined {
  // Google's own example (G3): "_badEventName" → NAME_INVALID "Names must start with an alphabetic character."
  if (!/^[A-Za-z]/.test(name)) return { code: 'NAME_INVALID', why: 'Names must start with an alphabetic character.' };
  const reserved = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (reserved) return { code: 'NAME_RESERVED', why: `Names must not start with the reserved prefix [${reserved}].` };
  if (!NAME.test(name)) return { code: 'NAME_INVALID', why: 'Names may contain only alphanumeric characters and underscores.' };
  if (chars(name) > MAX_NAME) return { code: 'VALUE_OUT_OF_BOUNDS', why: `Names must be at most ${MAX_NAME} characters.` };
  if (kind === 'event' && (RESERVED_EVENTS.has(name) || RESERVED_EVENT_FAMILIES.some((p) => name.startsWith(p)))) {
    return { code: 'NAME_RESERVED', why: 'This event name is reserved.' };
  }
  if (kind !== 'event' && RESERVED_PARAMS.has(name)) return { code: 'NAME_RESERVED', why: 'This parameter name is reserved.' };
  return undefined;
}

export interface ValidateInput {
  endpoint: 'collect' | 'debug';
  query: URLSearchParams;
  rawBody: string;
  json: unknown;
  nowMs: number;
  measurementIds?: readonly string[];
  apiSecrets?: readonly string[];
}

/** Every problem GA4 documents for a request, as validation messages (empty = valid). */
export function validateGa4Request(input: ValidateInput): FakeGa4Message[] {
  const out: FakeGa4Message[] = [];
  const add = (fieldPath: string, validationCode: Ga4ValidationCode, description: string) =>
    out.push({ fieldPath, description, validationCode });
  const atEvent = (i: number, description: string, code: Ga4ValidationCode) => add('events', code, `Event at index: [${i}] ${description}`);

  // Query parameters (G1). The validator does not check api_secret (G3); whether it checks the
  // measurement ID against real streams is UNCONFIRMED, so it only checks presence and shape.
  const mid = input.query.get('measurement_id');
  const firebaseAppId = input.query.get('firebase_app_id');
  if (!mid && !firebaseAppId) add('measurement_id', 'VALUE_REQUIRED', 'measurement_id (web) or firebase_app_id (app) query parameter is required.');
  else if (mid && !MEASUREMENT_ID.test(mid)) add('measurement_id', 'VALUE_INVALID', `Measurement ID [${mid}] is not a web stream measurement ID (G-…).`);
  else if (mid && input.endpoint === 'collect' && input.measurementIds && !input.measurementIds.includes(mid)) {
    add('measurement_id', 'VALUE_INVALID', `Measurement ID [${mid}] belongs to no data stream of this fake.`);
  }
  if (input.endpoint === 'collect') {
    const secret = input.query.get('api_secret');
    if (!secret) add('api_secret', 'VALUE_REQUIRED', 'api_secret query parameter is required.');
    else if (input.apiSecrets && !input.apiSecrets.includes(secret)) add('api_secret', 'VALUE_INVALID', 'api_secret is not a secret of this data stream.');
  }

  if (Buffer.byteLength(input.rawBody) >= MAX_BODY_BYTES) {
    add('', 'VALUE_OUT_OF_BOUNDS', `Request body is ${Buffer.byteLength(input.rawBody)} bytes; it must be smaller than 130 kB.`);
  }
  const body = input.json;
  if (!isObj(body)) {
    add('', 'VALUE_INVALID', 'Unable to parse the Measurement Protocol JSON payload: the body must be a JSON object.');
    return out;
  }
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) add(key, 'NAME_INVALID', `Unknown field [${key}].`);

  // Client (G1, G2): web streams need client_id, app streams app_instance_id.
  const clientField = firebaseAppId ? 'app_instance_id' : 'client_id';
  const client = body[clientField];
  if (typeof client !== 'string' || client.trim() === '') add(clientField, 'VALUE_REQUIRED', `${clientField} is required and must be a non-empty string.`);

  if (body.user_id !== undefined) {
    if (typeof body.user_id !== 'string' || body.user_id === '') add('user_id', 'VALUE_INVALID', 'user_id must be a non-empty string.');
    else if (chars(body.user_id) > MAX_USER_ID) add('user_id', 'VALUE_OUT_OF_BOUNDS', `user_id is longer than ${MAX_USER_ID} characters.`);
  }

  const checkTimestamp = (path: string, v: unknown, report: (code: Ga4ValidationCode, d: string) => void) => {
    if (v === undefined) return;
    if (!isInt64(v)) return report('VALUE_INVALID', `${path} must be an integer number of microseconds.`);
    const micros = Number(v);
    const nowMicros = input.nowMs * 1000;
    // A value below 1e15 µs (year 2001) is almost surely seconds or milliseconds (notes §2.9).
    if (micros < 1e15) report('VALUE_INVALID', `${path} [${String(v)}] is not in microseconds.`);
    // G1: only past events; G1/G4: at most 72 hours back.
    else if (micros > nowMicros) report('VALUE_OUT_OF_BOUNDS', `${path} [${String(v)}] is in the future.`);
    else if (micros < nowMicros - MAX_BACKDATE_MICROS) report('VALUE_OUT_OF_BOUNDS', `${path} [${String(v)}] is more than 72 hours in the past.`);
  };
  checkTimestamp('timestamp_micros', body.timestamp_micros, (code, d) => add('timestamp_micros', code, d));

  if (body.consent !== undefined) {
    if (!isObj(body.consent)) add('consent', 'VALUE_INVALID', 'consent must be an object.');
    else {
      for (const [k, v] of Object.entries(body.consent)) {
        if (!CONSENT_KEYS.has(k)) add(`consent.${k}`, 'NAME_INVALID', `Unknown consent type [${k}].`);
        else if (typeof v !== 'string' || !CONSENT_VALUES.has(v)) add(`consent.${k}`, 'VALUE_INVALID', `consent.${k} must be GRANTED or DENIED.`);
      }
    }
  }

  if (body.user_data !== undefined) validateUserData(body.user_data, add);
  if (body.user_properties !== undefined) validateUserProperties(body.user_properties, add);
  if (body.ip_override !== undefined && (typeof body.ip_override !== 'string' || isIP(body.ip_override) === 0)) {
    add('ip_override', 'VALUE_INVALID', 'ip_override must be an IPv4 or IPv6 address.');
  }
  if (body.validation_behavior !== undefined && body.validation_behavior !== 'RELAXED' && body.validation_behavior !== 'ENFORCE_RECOMMENDATIONS') {
    add('validation_behavior', 'VALUE_INVALID', 'validation_behavior must be RELAXED or ENFORCE_RECOMMENDATIONS.');
  }

  const events = body.events;
  if (!Array.isArray(events) || events.length === 0) {
    add('events', 'VALUE_REQUIRED', 'events must be a non-empty array.');
    return out;
  }
  if (events.length > MAX_EVENTS) add('events', 'EXCEEDED_MAX_ENTITIES', `A request may carry at most ${MAX_EVENTS} events; got ${events.length}.`);
  events.forEach((ev: unknown, i) => {
    if (!isObj(ev)) return atEvent(i, 'is not an object.', 'VALUE_INVALID');
    const name = ev.name;
    if (typeof name !== 'string' || name === '') return atEvent(i, 'has no name.', 'VALUE_REQUIRED');
    const bad = nameProblem(name, 'event');
    if (bad) atEvent(i, `has invalid name [${name}]. ${bad.why}`, bad.code);
    for (const key of Object.keys(ev)) {
      if (key !== 'name' && key !== 'params' && key !== 'timestamp_micros') atEvent(i, `has unknown field [${key}].`, 'NAME_INVALID');
    }
    checkTimestamp(`events[${i}].timestamp_micros`, ev.timestamp_micros, (code, d) => atEvent(i, d, code));
    if (ev.params === undefined) return;
    if (!isObj(ev.params)) return atEvent(i, 'has params that are not an object.', 'VALUE_INVALID');
    const params = ev.params;
    const keys = Object.keys(params);
    if (keys.length > MAX_PARAMS) atEvent(i, `has ${keys.length} parameters; at most ${MAX_PARAMS} are allowed.`, 'EXCEEDED_MAX_ENTITIES');
    for (const key of keys) {
      const v = params[key];
      const pbad = nameProblem(key, 'param');
      if (pbad) atEvent(i, `has invalid parameter name [${key}]. ${pbad.why}`, pbad.code);
      if (key === 'items') validateItems(v, i, atEvent);
      else if (typeof v === 'string') {
        const max = LONG_VALUES[key] ?? MAX_VALUE;
        if (chars(v) > max) atEvent(i, `has parameter [${key}] whose value is longer than ${max} characters.`, 'VALUE_OUT_OF_BOUNDS');
      } else if (typeof v === 'number') {
        if (!Number.isFinite(v)) atEvent(i, `has parameter [${key}] that is not a finite number.`, 'VALUE_INVALID');
      } else if (typeof v !== 'boolean') {
        atEvent(i, `has parameter [${key}] of an unsupported type (only strings, numbers and the items array).`, 'VALUE_INVALID');
      }
    }
    // Recommendations that ENFORCE_RECOMMENDATIONS checks (G3) and that revenue depends on (G9):
    // the fake always applies them, so the relay can never send a purchase GA4 cannot count.
    if (params.value !== undefined && typeof params.value !== 'number') atEvent(i, 'has a value that is not a number.', 'VALUE_INVALID');
    if (params.value !== undefined && params.currency === undefined) atEvent(i, 'has value but no currency.', 'VALUE_REQUIRED');
    if (params.currency !== undefined && (typeof params.currency !== 'string' || !/^[A-Z]{3}$/.test(params.currency))) {
      atEvent(i, `has currency [${String(params.currency)}] that is not an ISO 4217 code.`, 'VALUE_INVALID');
    }
    if (TRANSACTION_EVENTS.has(name) && (typeof params.transaction_id !== 'string' || params.transaction_id === '')) {
      atEvent(i, `[${name}] requires a non-empty transaction_id.`, 'VALUE_REQUIRED');
    }
    for (const key of ['session_id', 'engagement_time_msec']) {
      if (params[key] !== undefined && !isInt64(params[key])) atEvent(i, `has ${key} that is not an integer.`, 'VALUE_INVALID');
    }
  });
  return out;
}

function validateItems(v: unknown, i: number, atEvent: (i: number, d: string, c: Ga4ValidationCode) => void): void {
  if (!Array.isArray(v)) return atEvent(i, 'has items that are not an array.', 'VALUE_INVALID');
  v.forEach((item: unknown, j) => {
    if (!isObj(item)) return atEvent(i, `has items[${j}] that is not an object.`, 'VALUE_INVALID');
    // G9: item_id or item_name is required.
    const hasId = typeof item.item_id === 'string' && item.item_id !== '';
    const hasName = typeof item.item_name === 'string' && item.item_name !== '';
    if (!hasId && !hasName) atEvent(i, `has items[${j}] without item_id or item_name.`, 'VALUE_REQUIRED');
    for (const [k, val] of Object.entries(item)) {
      const bad = nameProblem(k, 'item param');
      if (bad) atEvent(i, `has items[${j}] with invalid parameter name [${k}]. ${bad.why}`, bad.code);
      if (['price', 'quantity', 'discount', 'index'].includes(k)) {
        if (typeof val !== 'number' || !Number.isFinite(val)) atEvent(i, `has items[${j}].${k} that is not a number.`, 'VALUE_INVALID');
      } else if (typeof val === 'string') {
        if (chars(val) > MAX_VALUE) atEvent(i, `has items[${j}].${k} longer than ${MAX_VALUE} characters.`, 'VALUE_OUT_OF_BOUNDS');
      } else if (typeof val !== 'number') {
        atEvent(i, `has items[${j}].${k} of an unsupported type.`, 'VALUE_INVALID');
      }
    }
  });
}

function validateUserData(v: unknown, add: (p: string, c: Ga4ValidationCode, d: string) => void): void {
  if (!isObj(v)) return add('user_data', 'VALUE_INVALID', 'user_data must be an object.');
  for (const [key, val] of Object.entries(v)) {
    const path = `user_data.${key}`;
    if (!USER_DATA_KEYS.has(key)) {
      add(path, 'NAME_INVALID', `Unknown user_data field [${key}].`);
    } else if (key === 'address') {
      if (!Array.isArray(val)) {
        add(path, 'VALUE_INVALID', 'address must be an array.');
        continue;
      }
      val.forEach((a: unknown, j) => {
        if (!isObj(a)) return add(`${path}[${j}]`, 'VALUE_INVALID', 'address entries must be objects.');
        for (const [k, av] of Object.entries(a)) {
          const ap = `${path}[${j}].${k}`;
          if (ADDRESS_HASHED.has(k)) {
            if (typeof av !== 'string' || !SHA256_HEX.test(av)) add(ap, 'VALUE_INVALID', `${k} must be a SHA-256 hash: 64 lowercase hex characters.`);
          } else if (ADDRESS_PLAIN.has(k)) {
            // G5: city, region, postal code and country are normalized but sent in clear.
            if (typeof av !== 'string' || av === '' || SHA256_HEX.test(av)) add(ap, 'VALUE_INVALID', `${k} must be plain normalized text, not hashed.`);
            else if (k === 'country' && !/^[A-Za-z]{2}$/.test(av)) add(ap, 'VALUE_INVALID', 'country must be an ISO 3166-1 alpha-2 code.');
          } else {
            add(ap, 'NAME_INVALID', `Unknown address field [${k}].`);
          }
        }
      });
    } else {
      // G5: string arrays of SHA-256 hex digests.
      if (!Array.isArray(val) || val.length === 0) {
        add(path, 'VALUE_INVALID', `${key} must be a non-empty array of SHA-256 hashes.`);
        continue;
      }
      val.forEach((h: unknown, j) => {
        if (typeof h !== 'string' || !SHA256_HEX.test(h)) add(`${path}[${j}]`, 'VALUE_INVALID', `${key} must hold SHA-256 hashes: 64 lowercase hex characters.`);
      });
    }
  }
}

function validateUserProperties(v: unknown, add: (p: string, c: Ga4ValidationCode, d: string) => void): void {
  if (!isObj(v)) return add('user_properties', 'VALUE_INVALID', 'user_properties must be an object.');
  const names = Object.keys(v);
  if (names.length > MAX_USER_PROPERTIES) add('user_properties', 'EXCEEDED_MAX_ENTITIES', `At most ${MAX_USER_PROPERTIES} user properties are allowed.`);
  for (const name of names) {
    const path = `user_properties.${name}`;
    if (RESERVED_USER_PROPERTIES.has(name) || ['_', 'firebase_', 'ga_', 'google_'].some((p) => name.startsWith(p))) {
      add(path, 'NAME_RESERVED', `User property name [${name}] is reserved.`);
    } else if (!NAME.test(name)) add(path, 'NAME_INVALID', `User property name [${name}] is invalid.`);
    else if (chars(name) > MAX_USER_PROPERTY_NAME) add(path, 'VALUE_OUT_OF_BOUNDS', `User property name [${name}] is longer than ${MAX_USER_PROPERTY_NAME} characters.`);
    const p = v[name];
    const value = isObj(p) ? p.value : undefined;
    if (!isObj(p) || (typeof value !== 'string' && typeof value !== 'number')) add(path, 'VALUE_INVALID', 'A user property must be {"value": string | number}.');
    else if (typeof value === 'string' && chars(value) > MAX_USER_PROPERTY_VALUE) add(path, 'VALUE_OUT_OF_BOUNDS', `User property value is longer than ${MAX_USER_PROPERTY_VALUE} characters.`);
  }
}

// ---- the server -------------------------------------------------------------------------------

/** Starts the fake on 127.0.0.1 (port 0 = any free port). */
export async function startFakeGa4(opts: FakeGa4Options = {}): Promise<FakeGa4> {
  const now = opts.now ?? Date.now;
  const verdicts: Ga4Verdict[] = [];
  const scripted: FakeResponse[] = [];
  const handle = (req: FakeRequest): FakeResponse => {
    const endpoint = req.path === '/mp/collect' ? 'collect' : req.path === '/debug/mp/collect' ? 'debug' : undefined;
    if (!endpoint) return { status: 404, body: '' };
    // G1: the Measurement Protocol only takes HTTP POST. The status Google gives other methods is UNCONFIRMED.
    if (req.method !== 'POST') return { status: 405, body: '' };
    const messages = validateGa4Request({
      endpoint,
      query: req.query,
      rawBody: req.rawBody,
      json: req.json,
      nowMs: now(),
      measurementIds: opts.measurementIds,
      apiSecrets: opts.apiSecrets,
    });
    verdicts.push({
      at: Date.now(),
      endpoint,
      accepted: messages.length === 0,
      messages,
      query: Object.fromEntries(req.query),
      body: req.json ?? req.rawBody,
    });
    if (process.env.LAYERSYNC_FAKE_LOG === '1' && messages.length > 0) {
      console.log(JSON.stringify({ fake: 'ga4', endpoint, rejected: messages }));
    }
    const next = scripted.shift();
    if (next) return next;
    // G1: production answers 2xx (observed 204, no body) whatever the payload; G3: the validator
    // answers 200 with its messages.
    return endpoint === 'collect' ? { status: 204, body: '' } : { status: 200, body: { validationMessages: messages } };
  };
  const server = await startFakeServer(
    {
      name: 'ga4',
      handle,
      // Failure bodies: Google documents none for the Measurement Protocol (UNCONFIRMED); these
      // are Google front-end style JSON errors. Wrong credentials are not a failure GA4 reports:
      // it accepts them with 204 and discards the events (G1, G3), so 'auth' answers exactly that.
      failure(kind) {
        if (kind === 'auth') return { status: 204, body: '' };
        if (kind === 429) {
          return { status: 429, headers: { 'retry-after': '7' }, body: { error: { code: 429, message: 'Resource has been exhausted.', status: 'RESOURCE_EXHAUSTED' } } };
        }
        return { status: kind, body: { error: { code: kind, message: 'The service is currently unavailable.', status: kind === 503 ? 'UNAVAILABLE' : 'INTERNAL' } } };
      },
    },
    opts.port ?? 0,
  );
  const resetBase = server.reset.bind(server);
  // defineProperties, not Object.assign: the getters must stay live.
  return Object.defineProperties(server, {
    verdicts: { value: verdicts, enumerable: true },
    rejected: { get: () => verdicts.filter((v) => !v.accepted), enumerable: true },
    recordedEvents: {
      enumerable: true,
      get: () =>
        verdicts
          .filter((v) => v.endpoint === 'collect' && v.accepted)
          .flatMap((v) => {
            const b = v.body as { client_id: string; user_id?: string; events: { name: string; params?: Record<string, unknown> }[] };
            return b.events.map((e) => ({ client_id: b.client_id, ...(b.user_id ? { user_id: b.user_id } : {}), name: e.name, params: e.params ?? {} }));
          }),
    },
    respondNext: { value: (res: FakeResponse) => void scripted.push(res) },
    reset: {
      value: () => {
        resetBase();
        verdicts.length = 0;
        scripted.length = 0;
      },
    },
  }) as FakeGa4;
}

if (isMainModule(import.meta.url)) {
  void runStandalone((port, args) =>
    startFakeGa4({
      port,
      measurementIds: args['measurement-ids']?.split(','),
      apiSecrets: args['api-secrets']?.split(','),
    }),
  );
}
