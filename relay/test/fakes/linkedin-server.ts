/**
 * A local fake of LinkedIn's versioned Conversions API, strict the way LinkedIn documents (and a
 * third party measured) it, so destination tests cannot pass by sending what LinkedIn refuses.
 *
 *   POST /rest/conversionEvents                    one event → 201 (empty body) [FIELD]
 *   POST /rest/conversionEvents + X-RestLi-Method: BATCH_CREATE, {"elements":[…]}
 *                                                  → 200 {"elements":[{"status":201},…]} (L1 schema)
 *   GET  /rest/adAccountUsers?q=authenticatedUser  the member's ad account roles (connection test)
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/linkedin-server.ts --port 8798 [--tokens a,b] [--rules 1,2]
 * [--quiet]` prints `listening <url>`, then one JSON line per answered request with the bearer
 * token masked.
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §3;
 * L1 = Microsoft Learn Conversions API + schema pages, L2 = Salesforce connector doc, [FIELD] =
 * measured against the live API by a third party, DEVTO = the userIds write-up). Error bodies use
 * the four-field shape {status, serviceErrorCode, code, message} [FIELD]; where LinkedIn's exact
 * code or wording is unknown the fake says so (UNCONFIRMED) rather than inventing a source.
 */
import { fakeHandle, isMainModule, isObject, listArg, logEach, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

export const FAKE_LINKEDIN_TOKEN = 'AQV-fake-linkedin-access-token-0123456789';
/** Conversion rule ids the fake knows (urn:lla:llaPartnerConversion:<id>). */
export const FAKE_LINKEDIN_RULES = ['104012', '104013'];
/** Versions the fake treats as active. */
export const FAKE_LINKEDIN_VERSIONS = ['202603', '202604', '202605', '202606'];
export const FAKE_LINKEDIN_ACCOUNT = 'urn:li:sponsoredAccount:507404993';

const MAX_BATCH = 5000; // L2
const MAX_AGE_MS = 90 * 86_400_000; // L1, L2
/** Future tolerance: LinkedIn refuses future times (L1); its tolerance is UNCONFIRMED. */
export const FAKE_LINKEDIN_FUTURE_TOLERANCE_MS = 5 * 60_000;
/** eventId length limit per Salesforce's connector doc (L2) — UNCONFIRMED as LinkedIn's own rule. */
const MAX_EVENT_ID = 64;
const ID_TYPES = ['SHA256_EMAIL', 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', 'ACXIOM_ID', 'PLAINTEXT_IP_ADDRESS', 'GOOGLE_AID', 'ORACLE_MOAT_ID']; // L1
const EVENT_FIELDS = ['conversion', 'conversionHappenedAt', 'conversionValue', 'eventId', 'user']; // L1
const USER_FIELDS = ['userIds', 'userInfo']; // L1
const URN = /^urn:lla:llaPartnerConversion:(\d+)$/;

export type FakeLinkedinFailure = 500 | 503 | 429 | 'timeout' | 'token';

export interface StartFakeLinkedinOptions extends FakeOptions {
  /** Access tokens the fake accepts. Default: [FAKE_LINKEDIN_TOKEN]. */
  tokens?: string[];
  /** Known conversion rule ids. Default: FAKE_LINKEDIN_RULES. */
  rules?: string[];
  versions?: string[];
  /** The roles /rest/adAccountUsers reports. Default: ACCOUNT_MANAGER on FAKE_LINKEDIN_ACCOUNT. */
  accountRoles?: Array<{ account: string; role: string }>;
  /** Now in ms. Default: the clock. */
  now?: () => number;
  /** Retry-After seconds on injected 429s. Default 11. */
  retryAfterSeconds?: number;
}

export interface LinkedinReceived extends Received {
  /** 'batch' for BATCH_CREATE, 'single' for one event, 'accounts' for the account lookup. */
  kind: string;
}

/** The fake LinkedIn; failNext's 'token' is an expired token (401). */
export type FakeLinkedin = FakeHandle<LinkedinReceived, FakeLinkedinFailure>;

export async function startFakeLinkedin(options: StartFakeLinkedinOptions = {}): Promise<FakeLinkedin> {
  const cfg: HandleConfig = {
    tokens: new Set(options.tokens ?? [FAKE_LINKEDIN_TOKEN]),
    rules: new Set(options.rules ?? FAKE_LINKEDIN_RULES),
    versions: new Set(options.versions ?? FAKE_LINKEDIN_VERSIONS),
    accountRoles: options.accountRoles ?? [{ account: FAKE_LINKEDIN_ACCOUNT, role: 'ACCOUNT_MANAGER' }],
    now: options.now ?? (() => Date.now()),
  };
  const retryAfter = options.retryAfterSeconds ?? 11;
  const log = options.log;
  const server = await startFakeServer(
    {
      name: 'linkedin',
      handle: (req) => handle(req, cfg),
      failure(kind) {
        switch (kind) {
          case 'auth':
            // Code and serviceErrorCode for an expired token are UNCONFIRMED; the shape is [FIELD].
            return error(401, 'The token used in the request has expired', { code: 'EXPIRED_ACCESS_TOKEN', serviceErrorCode: 65601 });
          case 429:
            // Body wording UNCONFIRMED (L1 lists 429 without a body).
            return error(429, 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.', {
              code: 'TOO_MANY_REQUESTS',
              serviceErrorCode: 101,
              headers: { 'retry-after': String(retryAfter) },
            });
          case 503:
            return error(503, 'Service Unavailable');
          default:
            return error(500, 'Internal Server Error');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<LinkedinReceived, FakeLinkedinFailure>(server, { failure: (kind) => (kind === 'token' ? 'auth' : kind) });
}

interface HandleConfig {
  tokens: Set<string>;
  rules: Set<string>;
  versions: Set<string>;
  accountRoles: Array<{ account: string; role: string }>;
  now: () => number;
}

function handle(req: FakeRequest, cfg: HandleConfig): FakeResponse {
  const isEvents = req.method === 'POST' && req.path === '/rest/conversionEvents';
  const isAccounts = req.method === 'GET' && req.path === '/rest/adAccountUsers';
  if (!isEvents && !isAccounts) return error(404, `No route found for ${req.method} ${req.path}`, { code: 'NOT_FOUND' }); // wording UNCONFIRMED

  // Auth before anything else: a bad token answers 401 whatever else is wrong [FIELD].
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer (\S+)$/.exec(auth) : null;
  if (!m || !cfg.tokens.has(m[1]!)) {
    return error(401, 'Invalid access token', { code: 'INVALID_ACCESS_TOKEN', serviceErrorCode: 65600 });
  }
  const version = header(req, 'linkedin-version');
  if (version === undefined) {
    // [FIELD]: missing LinkedIn-Version → 400 VERSION_MISSING.
    return error(400, 'A version must be present. Please specify a version by adding the LinkedIn-Version header.', { code: 'VERSION_MISSING' });
  }
  if (!cfg.versions.has(version)) {
    // 426 NONEXISTENT_VERSION for an unknown or sunset version: UNCONFIRMED.
    return error(426, `Requested version ${version} is not active`, { code: 'NONEXISTENT_VERSION' });
  }
  if (header(req, 'x-restli-protocol-version') !== '2.0.0') {
    // Required on every versioned call (L1); LinkedIn's answer when it is missing is UNCONFIRMED.
    return error(400, 'X-Restli-Protocol-Version 2.0.0 is required for versioned APIs.', { code: 'ILLEGAL_ARGUMENT' });
  }

  if (isAccounts) {
    if (req.query.get('q') !== 'authenticatedUser') return error(400, 'Query finder q=authenticatedUser is required.', { code: 'ILLEGAL_ARGUMENT' });
    const user = 'urn:li:person:fakeMember01';
    return {
      status: 200,
      body: { elements: cfg.accountRoles.map((r) => ({ ...r, user })), paging: { start: 0, count: 10, total: cfg.accountRoles.length } },
      record: { kind: 'accounts' },
    };
  }

  if (!/^application\/json\b/i.test(header(req, 'content-type') ?? '')) {
    return error(415, 'Content-Type must be application/json.'); // wording UNCONFIRMED
  }
  if (req.json === undefined) return error(400, 'Request body is not valid JSON.'); // wording UNCONFIRMED
  const batch = header(req, 'x-restli-method');
  if (batch !== undefined && batch !== 'BATCH_CREATE') return error(400, `Unsupported X-RestLi-Method ${batch}.`, { code: 'ILLEGAL_ARGUMENT' });

  let events: unknown[];
  if (batch === 'BATCH_CREATE') {
    const body = req.json;
    if (!isObject(body) || !Array.isArray(body.elements)) return error(422, 'ERROR :: /elements :: field is required but not found and has no default value');
    if (body.elements.length === 0) return error(400, 'Batch create requires at least one element.'); // UNCONFIRMED
    if (body.elements.length > MAX_BATCH) return error(400, `Batch create accepts at most ${MAX_BATCH} elements; got ${body.elements.length}.`); // limit L2, wording UNCONFIRMED
    events = body.elements;
  } else {
    events = [req.json];
  }

  // The validator reports every schema error at once, with JSON paths [FIELD].
  const problems: string[] = [];
  const prefix = batch === 'BATCH_CREATE' ? (i: number) => `/elements/${i}` : () => '';
  events.forEach((e, i) => problems.push(...schemaProblems(e, prefix(i))));
  if (problems.length > 0) return error(422, problems.map((p) => `ERROR :: ${p}`).join('\n'));

  // Semantic checks after the schema: time window (400 with indices [FIELD]), then rules.
  const now = cfg.now();
  const badTimes = events.flatMap((e, i) => {
    const t = (e as { conversionHappenedAt: number }).conversionHappenedAt;
    return now - t > MAX_AGE_MS || t - now > FAKE_LINKEDIN_FUTURE_TOLERANCE_MS ? [i] : [];
  });
  if (badTimes.length > 0) {
    return error(400, `conversionHappenedAt must be within 90 days of the current time and not in the future, indices [${badTimes.join(', ')}]`);
  }
  for (const e of events) {
    const id = URN.exec((e as { conversion: string }).conversion)![1]!;
    // [FIELD]: a well-formed URN LinkedIn cannot resolve answers a misleading 403.
    if (!cfg.rules.has(id)) return error(403, 'No ad accounts found for the conversion rule', { code: 'ACCESS_DENIED', serviceErrorCode: 100 });
  }

  if (batch === 'BATCH_CREATE') {
    return { status: 200, body: { elements: events.map(() => ({ status: 201 })) }, record: { kind: 'batch' } };
  }
  return { status: 201, body: '', record: { kind: 'single' } };
}

/** Schema errors of one event as "<path> :: <problem>" lines. */
function schemaProblems(e: unknown, at: string): string[] {
  if (!isObject(e)) return [`${at || '/'} :: expected a record`];
  const out: string[] = [];
  for (const key of Object.keys(e)) {
    if (!EVENT_FIELDS.includes(key)) out.push(`${at}/${key} :: unrecognized field found but not allowed`);
  }
  if (typeof e.conversion !== 'string') out.push(`${at}/conversion :: field is required but not found and has no default value`);
  else if (!URN.test(e.conversion)) out.push(`${at}/conversion :: Invalid Urn format`); // [FIELD]
  if (e.conversionHappenedAt === undefined) out.push(`${at}/conversionHappenedAt :: field is required but not found and has no default value`);
  else if (typeof e.conversionHappenedAt !== 'number' || !Number.isInteger(e.conversionHappenedAt)) {
    out.push(`${at}/conversionHappenedAt :: ${JSON.stringify(e.conversionHappenedAt)} cannot be coerced to Long`);
  }
  if (e.conversionValue !== undefined) {
    const v = e.conversionValue;
    if (!isObject(v)) out.push(`${at}/conversionValue :: expected a record`);
    else {
      if (typeof v.currencyCode !== 'string') out.push(`${at}/conversionValue/currencyCode :: field is required but not found and has no default value`);
      // LinkedIn accepted an invented currency code [FIELD]; the fake only checks the shape.
      else if (!/^[A-Z]{3}$/.test(v.currencyCode)) out.push(`${at}/conversionValue/currencyCode :: must be a 3-letter ISO 4217 code`);
      // [FIELD]: a JSON number for amount → 422 "cannot be coerced to String".
      if (v.amount === undefined) out.push(`${at}/conversionValue/amount :: field is required but not found and has no default value`);
      else if (typeof v.amount !== 'string') out.push(`${at}/conversionValue/amount :: ${JSON.stringify(v.amount)} cannot be coerced to String`);
      else if (!/^-?\d+(\.\d+)?$/.test(v.amount)) out.push(`${at}/conversionValue/amount :: must be a decimal number`);
    }
  }
  if (e.eventId !== undefined && (typeof e.eventId !== 'string' || e.eventId === '' || e.eventId.length > MAX_EVENT_ID)) {
    out.push(`${at}/eventId :: must be a string of 1 to ${MAX_EVENT_ID} characters`);
  }
  if (!isObject(e.user)) out.push(`${at}/user :: field is required but not found and has no default value`);
  else {
    for (const key of Object.keys(e.user)) {
      if (!USER_FIELDS.includes(key)) out.push(`${at}/user/${key} :: unrecognized field found but not allowed`);
    }
    // DEVTO: userIds must be present even when matching only on userInfo.
    if (!Array.isArray(e.user.userIds)) out.push(`${at}/user/userIds :: field is required but not found and has no default value`);
    else {
      e.user.userIds.forEach((id, j) => {
        const p = `${at}/user/userIds/${j}`;
        if (!isObject(id)) return void out.push(`${p} :: expected a record`);
        if (typeof id.idType !== 'string' || !ID_TYPES.includes(id.idType)) out.push(`${p}/idType :: ${JSON.stringify(id.idType)} is not a valid enum symbol`);
        if (typeof id.idValue !== 'string' || id.idValue === '') out.push(`${p}/idValue :: field is required but not found and has no default value`);
        // L1: SHA256_EMAIL is the hex SHA-256. Whether LinkedIn checks the format is UNCONFIRMED
        // ([FIELD] says its semantic checks are weak); the fake holds LayerSync to it.
        else if (id.idType === 'SHA256_EMAIL' && !/^[a-f0-9]{64}$/.test(id.idValue)) out.push(`${p}/idValue :: must be a SHA-256 hex digest`);
      });
      if (e.user.userIds.length === 0 && !isObject(e.user.userInfo)) out.push(`${at}/user :: userIds or userInfo must identify the member`);
    }
  }
  return out;
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

function error(
  status: number,
  message: string,
  extra: { code?: string; serviceErrorCode?: number; headers?: Record<string, string> } = {},
): FakeResponse {
  const body: Record<string, unknown> = { status };
  if (extra.serviceErrorCode !== undefined) body.serviceErrorCode = extra.serviceErrorCode;
  if (extra.code !== undefined) body.code = extra.code;
  body.message = message;
  return { status, body, headers: extra.headers };
}

function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = 'Bearer [redacted]';
  return JSON.stringify({ fake: 'linkedin', status: entry.status, kind: entry.kind, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakeLinkedin({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_LINKEDIN_PORT', 8798),
      tokens: listArg(args.tokens),
      rules: listArg(args.rules),
    }),
  );
}
