/**
 * Local fake of Google's OAuth token endpoint and the Google Ads REST conversion upload API,
 * validating requests the way Google documents them and answering with Google's real shapes.
 * Standalone: `tsx relay/test/fakes/google-ads-server.ts --port 8793`.
 *
 * Sources (the report lists which rule comes from where; "approx." marks an error code the
 * docs do not pin down, where the fake picks the closest documented enum):
 * - OAuth: developers.google.com/identity/protocols/oauth2/web-server#offline (refresh grant,
 *   `invalid_grant` "Token has been expired or revoked.", `invalid_client`).
 * - REST auth headers: developers.google.com/google-ads/api/rest/auth, docs/concepts/call-structure.
 * - Request/response messages: googleapis google/ads/googleads/v25/services/
 *   conversion_upload_service.proto, conversion_adjustment_upload_service.proto.
 * - Error enums: google/ads/googleads/v25/errors/*.proto; 401 + CUSTOMER_NOT_FOUND as seen in
 *   RudderStack's fixtures (3P).
 * It is not version-pinned: any supported `/v{N}/` path works and `@type` echoes that version.
 */
import { SHA256_HEX, isMainModule, runStandalone, startFakeServer, type FailureKind, type FakeRequest, type FakeResponse, type FakeServer } from './base.js';

export const FAKE_GOOGLE_ADS = {
  clientId: 'fake-client.apps.googleusercontent.com',
  clientSecret: 'fake-client-secret',
  /** An OAuth client whose Cloud project only has test access (CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION). */
  testOnlyClientId: 'test-only-client.apps.googleusercontent.com',
  refreshToken: '1//fake-refresh-token',
  revokedRefreshToken: '1//revoked-refresh-token',
  testOnlyRefreshToken: '1//test-only-refresh-token',
  /** Reachable directly by the OAuth user. */
  customerId: '1234567890',
  /** Reachable only through the manager account below (needs login-customer-id). */
  managedCustomerId: '2223334444',
  managerId: '9876543210',
  /** Account without accepted customer data terms and with ECL off. */
  plainCustomerId: '5556667777',
  purchaseActionId: '111111',
  leadActionId: '222222',
  webpageActionId: '333333',
  developerToken: 'fake-developer-token',
  testOnlyDeveloperToken: 'test-only-developer-token',
} as const;

const F = FAKE_GOOGLE_ADS;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface FakeCustomer {
  name: string;
  /** Manager accounts that may act for this customer through login-customer-id. */
  managers?: string[];
  /** True when the OAuth user reaches it only via a manager (no direct access). */
  viaManagerOnly?: boolean;
  acceptedCustomerDataTerms?: boolean;
  enhancedConversionsForLeadsEnabled?: boolean;
}

export interface FakeConversionAction {
  name: string;
  /** ConversionActionType: UPLOAD_CLICKS, WEBPAGE, SALESFORCE, … */
  type: string;
  status?: 'ENABLED' | 'REMOVED' | 'HIDDEN';
}

export interface FakeGoogleAdsOptions {
  port?: number;
  /** OAuth clients: id → secret and whether its Cloud project is approved for production. */
  clients?: Record<string, { secret: string; testOnly?: boolean }>;
  /** Refresh tokens: token → the client it was issued to, and whether the user revoked it. */
  refreshTokens?: Record<string, { clientId: string; revoked?: boolean }>;
  accessTokenTtlSeconds?: number;
  customers?: Record<string, FakeCustomer>;
  /** Conversion actions by id (shared by every customer, as validation "uses only the action id"). */
  conversionActions?: Record<string, FakeConversionAction>;
  /** Known ad clicks: click id (gclid/gbraid/wbraid) → click time in ms. */
  clicks?: Record<string, number>;
  /** Unknown click ids: accepted (default, the fake cannot know every click) or EVENT_NOT_FOUND. */
  unknownClicks?: 'accept' | 'not_found';
  /**
   * Pre-sunset developer-token checking. Unset (default): the header is ignored, as Google does
   * since 2026-09-09. Set: the header is required and must be one of these tokens.
   */
  developerTokens?: { approved: string[]; testOnly?: string[] };
  /** Clock for click/adjustment windows and token expiry. */
  now?: () => number;
}

interface RecordedConversion {
  atMs: number;
  value?: number;
  retracted: boolean;
  /** adjustment_date_time strings already applied. */
  adjustments: string[];
}

export interface FakeGoogleAdsState {
  accessTokens: Map<string, { clientId: string; expiresAtMs: number }>;
  /** `${actionId}|${orderId}` → conversion, for order-id dedup and adjustments. */
  orders: Map<string, RecordedConversion>;
  /** `${actionId}|${clickId}|${conversionDateTime}` of uploads without order id. */
  clickConversions: Set<string>;
  jobs: number;
}

export interface FakeGoogleAds extends FakeServer {
  state: FakeGoogleAdsState;
  options: Required<Omit<FakeGoogleAdsOptions, 'port' | 'developerTokens'>> & Pick<FakeGoogleAdsOptions, 'developerTokens'>;
  /** Requests that reached the token endpoint. */
  tokenRequests(): number;
  /** Answers the next API (non-token) request with this response, before any validation. */
  respondNext(res: FakeResponse): void;
  /** Records an uploaded conversion (e.g. a purchase some days ago) so refunds can adjust it. */
  addOrder(actionId: string, orderId: string, atMs: number, value?: number): void;
}

// ---------------------------------------------------------------------------------------------
// Response builders

type Path = Array<string | [string, number]>;

interface AdsError {
  errorCode: Record<string, string>;
  message: string;
  location?: { fieldPathElements: Array<{ fieldName: string; index?: number }> };
  details?: Record<string, unknown>;
}

function adsError(type: string, value: string, message: string, path?: Path): AdsError {
  return {
    errorCode: { [type]: value },
    message,
    ...(path
      ? {
          location: {
            fieldPathElements: path.map((p) => (typeof p === 'string' ? { fieldName: p } : { fieldName: p[0], index: p[1] })),
          },
        }
      : {}),
  };
}

let requestCounter = 0;
const requestId = () => `fake-req-${(++requestCounter).toString(36)}`;

const failureDetail = (version: string, errors: AdsError[]) => ({
  '@type': `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`,
  errors,
  requestId: requestId(),
});

/** A request-level error: `{"error":{code,message,status,details:[GoogleAdsFailure]}}`. */
function adsFailure(version: string, code: number, status: string, message: string, errors: AdsError[]): FakeResponse {
  return { status: code, body: { error: { code, message, status, details: [failureDetail(version, errors)] } } };
}

const STATUS_TEXT: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: [
    'UNAUTHENTICATED',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  ],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
};

const adsFailureFor = (version: string, code: 400 | 401 | 403, errors: AdsError[]) =>
  adsFailure(version, code, STATUS_TEXT[code]![0], STATUS_TEXT[code]![1], errors);

/** JSON that does not fit the proto is refused before the Ads backend, with a google.rpc.BadRequest. */
function badJson(field: string, description: string): FakeResponse {
  return {
    status: 400,
    body: {
      error: {
        code: 400,
        message: description,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] }],
      },
    },
  };
}

const oauthError = (status: number, error: string, description: string): FakeResponse => ({
  status,
  body: { error, error_description: description },
});

function pathString(path: Path): string {
  return path.map((p) => (typeof p === 'string' ? p : `${p[0]}[${p[1]}]`)).join('.');
}

// ---------------------------------------------------------------------------------------------
// JSON shape checks (proto3 JSON mapping: lowerCamelCase or the original snake_case name)

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

class JsonShapeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Returns the object with camelCase keys; throws for names the message does not have. */
function fields(value: unknown, allowed: readonly string[], at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JsonShapeError(at, `Invalid JSON payload received. Expected an object at '${at}'.`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const name = camel(k);
    if (!allowed.includes(name)) {
      throw new JsonShapeError(at, `Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`);
    }
    out[name] = v;
  }
  return out;
}

function enumValue(value: unknown, allowed: readonly string[], at: string, enumType: string, version: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new JsonShapeError(
      at,
      `Invalid value at '${at}' (type.googleapis.com/google.ads.googleads.${version}.enums.${enumType}), ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function numberValue(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new JsonShapeError(at, `Invalid value at '${at}' (TYPE_DOUBLE), ${JSON.stringify(value)}`);
  }
  return n;
}

function stringValue(value: unknown, at: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new JsonShapeError(at, `Invalid value at '${at}' (TYPE_STRING), ${JSON.stringify(value)}`);
  return value;
}

function boolValue(value: unknown, at: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new JsonShapeError(at, `Invalid value at '${at}' (TYPE_BOOL), ${JSON.stringify(value)}`);
  return value;
}

const CLICK_CONVERSION_FIELDS = [
  'gclid',
  'gbraid',
  'wbraid',
  'conversionAction',
  'conversionDateTime',
  'conversionValue',
  'currencyCode',
  'orderId',
  'externalAttributionData',
  'customVariables',
  'cartData',
  'userIdentifiers',
  'conversionEnvironment',
  'consent',
  'customerType',
  'userIpAddress',
  'sessionAttributesEncoded',
  'sessionAttributesKeyValuePairs',
] as const;
const ADJUSTMENT_FIELDS = [
  'gclidDateTimePair',
  'orderId',
  'conversionAction',
  'adjustmentDateTime',
  'adjustmentType',
  'restatementValue',
  'userIdentifiers',
  'userAgent',
] as const;
const USER_IDENTIFIER_FIELDS = [
  'userIdentifierSource',
  'hashedEmail',
  'hashedPhoneNumber',
  'mobileId',
  'thirdPartyUserId',
  'addressInfo',
] as const;
const IDENTIFIER_ONEOF = ['hashedEmail', 'hashedPhoneNumber', 'mobileId', 'thirdPartyUserId', 'addressInfo'] as const;
const CONSENT_STATUS = ['UNSPECIFIED', 'UNKNOWN', 'GRANTED', 'DENIED'] as const;
const ADJUSTMENT_TYPES = ['UNSPECIFIED', 'UNKNOWN', 'ENHANCEMENT', 'RETRACTION', 'RESTATEMENT'] as const;

// ---------------------------------------------------------------------------------------------
// Value checks

/** "yyyy-mm-dd hh:mm:ss+|-hh:mm" (ClickConversion.conversion_date_time); the time zone is required. */
const DATE_TIME_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})([+-])(\d{2}):(\d{2})$/;

/** Parses a Google date time; undefined when the shape is wrong, NaN when the values are. */
function parseDateTime(s: string): number | undefined {
  const m = DATE_TIME_WITH_OFFSET.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se, oh, om] = [m[1], m[2], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || se > 59 || oh > 14 || om > 59) {
    return Number.NaN;
  }
  return ms - (m[7] === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
}

const CLICK_ID = /^[A-Za-z0-9_-]{8,}$/;
const CURRENCY = /^[A-Z]{3}$/;
const RESOURCE = /^customers\/(\d+)\/conversionActions\/(\d+)$/;

// ---------------------------------------------------------------------------------------------

export async function startFakeGoogleAds(opts: FakeGoogleAdsOptions = {}): Promise<FakeGoogleAds> {
  const options: FakeGoogleAds['options'] = {
    clients: opts.clients ?? {
      [F.clientId]: { secret: F.clientSecret },
      [F.testOnlyClientId]: { secret: F.clientSecret, testOnly: true },
    },
    refreshTokens: opts.refreshTokens ?? {
      [F.refreshToken]: { clientId: F.clientId },
      [F.revokedRefreshToken]: { clientId: F.clientId, revoked: true },
      [F.testOnlyRefreshToken]: { clientId: F.testOnlyClientId },
    },
    accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 3599,
    customers: opts.customers ?? {
      [F.customerId]: { name: 'LayerSync Test Store', acceptedCustomerDataTerms: true, enhancedConversionsForLeadsEnabled: true },
      [F.managedCustomerId]: {
        name: 'Client of a manager',
        managers: [F.managerId],
        viaManagerOnly: true,
        acceptedCustomerDataTerms: true,
        enhancedConversionsForLeadsEnabled: true,
      },
      [F.managerId]: { name: 'Agency manager' },
      [F.plainCustomerId]: { name: 'No enhanced conversions', acceptedCustomerDataTerms: false, enhancedConversionsForLeadsEnabled: false },
    },
    conversionActions: opts.conversionActions ?? {
      [F.purchaseActionId]: { name: 'Purchase (import from clicks)', type: 'UPLOAD_CLICKS' },
      [F.leadActionId]: { name: 'Lead (import from clicks)', type: 'UPLOAD_CLICKS' },
      [F.webpageActionId]: { name: 'Purchase (website tag)', type: 'WEBPAGE' },
    },
    clicks: opts.clicks ?? {},
    unknownClicks: opts.unknownClicks ?? 'accept',
    developerTokens: opts.developerTokens,
    now: opts.now ?? Date.now,
  };
  const state: FakeGoogleAdsState = { accessTokens: new Map(), orders: new Map(), clickConversions: new Set(), jobs: 0 };
  const queued: FakeResponse[] = [];
  let tokenCount = 0;
  let tokenSerial = 0;

  // --- OAuth token endpoint ------------------------------------------------------------------
  function token(req: FakeRequest): FakeResponse {
    tokenCount++;
    if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'Method not allowed: use POST.');
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const form = new URLSearchParams(req.rawBody);
    const grant = form.get('grant_type');
    if (!grant) return oauthError(400, 'invalid_request', 'Missing required parameter: grant_type');
    if (grant !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`);
    const clientId = form.get('client_id') ?? '';
    const client = options.clients[clientId];
    if (!client) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (form.get('client_secret') !== client.secret) return oauthError(401, 'invalid_client', 'Unauthorized');
    const refresh = form.get('refresh_token');
    if (!refresh) return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
    const issued = options.refreshTokens[refresh];
    if (!issued) return oauthError(400, 'invalid_grant', 'Bad Request');
    if (issued.revoked) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    if (issued.clientId !== clientId) return oauthError(400, 'unauthorized_client', 'Unauthorized');
    const accessToken = `ya29.fake-${++tokenSerial}-${Math.random().toString(36).slice(2, 10)}`;
    state.accessTokens.set(accessToken, { clientId, expiresAtMs: options.now() + options.accessTokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: options.accessTokenTtlSeconds,
        scope: 'https://www.googleapis.com/auth/adwords',
        token_type: 'Bearer',
      },
    };
  }

  // --- API authentication, shared by every API route -----------------------------------------
  function authenticate(req: FakeRequest, version: string, customerId: string): FakeResponse | FakeCustomer {
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^Bearer (\S+)$/.exec(auth)?.[1];
    if (!bearer) return { status: 401, body: { error: { code: 401, message: STATUS_TEXT[401]![1], status: 'UNAUTHENTICATED' } } };
    const issued = state.accessTokens.get(bearer);
    if (!issued || issued.expiresAtMs <= options.now()) {
      return {
        status: 401,
        body: {
          error: {
            code: 401,
            message:
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
            status: 'UNAUTHENTICATED',
          },
        },
      };
    }
    if (options.developerTokens) {
      const dev = req.headers['developer-token'];
      if (typeof dev !== 'string' || dev === '') {
        return adsFailureFor(version, 400, [
          adsError('requestError', 'DEVELOPER_TOKEN_PARAMETER_MISSING', 'The developer-token parameter is required for all requests.'),
        ]);
      }
      if (options.developerTokens.testOnly?.includes(dev)) {
        return adsFailureFor(version, 403, [
          adsError(
            'authorizationError',
            'DEVELOPER_TOKEN_NOT_APPROVED',
            'The developer token is only approved for use with test accounts. To access non-test accounts, apply for Basic or Standard access.',
          ),
        ]);
      }
      if (!options.developerTokens.approved.includes(dev)) {
        return adsFailureFor(version, 401, [
          adsError('authenticationError', 'DEVELOPER_TOKEN_INVALID', 'The developer token is not valid.'),
        ]);
      }
    }
    if (options.clients[issued.clientId]?.testOnly) {
      return adsFailureFor(version, 403, [
        adsError(
          'authorizationError',
          'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION',
          'The Google Cloud project is only approved for use with test accounts. To access non-test accounts, apply for Explorer, Basic or Standard access.',
        ),
      ]);
    }
    const login = req.headers['login-customer-id'];
    if (login !== undefined && (typeof login !== 'string' || !/^\d{10}$/.test(login))) {
      // Status code UNCONFIRMED; HeaderError.INVALID_LOGIN_CUSTOMER_ID is the documented enum.
      return adsFailureFor(version, 400, [
        adsError('headerError', 'INVALID_LOGIN_CUSTOMER_ID', 'The login customer ID could not be validated.'),
      ]);
    }
    if (!/^\d+$/.test(customerId)) {
      return adsFailureFor(version, 401, [
        adsError('authenticationError', 'CLIENT_CUSTOMER_ID_INVALID', 'Client customer ID is not a number.'),
      ]);
    }
    const customer = options.customers[customerId];
    if (!customer) {
      return adsFailureFor(version, 401, [
        adsError('authenticationError', 'CUSTOMER_NOT_FOUND', 'No customer found for the provided customer id.'),
      ]);
    }
    if (typeof login === 'string' && login !== customerId && !customer.managers?.includes(login)) {
      return adsFailureFor(version, 403, [
        adsError(
          'authorizationError',
          'INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION',
          'The login customer specified does not have access to the account specified, so the request is invalid.',
        ),
      ]);
    }
    if (customer.viaManagerOnly && login === undefined) {
      return adsFailureFor(version, 403, [
        adsError(
          'authorizationError',
          'USER_PERMISSION_DENIED',
          "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer ID must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
        ),
      ]);
    }
    return customer;
  }

  /** Conversion action checks shared by both upload routes. */
  function checkAction(
    raw: unknown,
    path: Path,
    errorType: string,
    allowedTypes: readonly string[],
  ): { errors: AdsError[]; actionId?: string; action?: FakeConversionAction } {
    const at = [...path, 'conversion_action'];
    if (raw === undefined || raw === '') return { errors: [adsError('fieldError', 'REQUIRED', 'The required field was not present.', at)] };
    const m = RESOURCE.exec(String(raw));
    if (!m) return { errors: [adsError('requestError', 'RESOURCE_NAME_MALFORMED', 'Resource name provided is malformed.', at)] };
    const actionId = m[2]!;
    const action = options.conversionActions[actionId];
    if (!action || action.status === 'REMOVED') {
      return {
        errors: [
          adsError(
            errorType,
            'NO_CONVERSION_ACTION_FOUND',
            "The conversion action specified in the upload request cannot be found. Make sure it's available in this account.",
            at,
          ),
        ],
      };
    }
    if (!allowedTypes.includes(action.type)) {
      return {
        errors: [
          adsError(
            errorType,
            'INVALID_CONVERSION_ACTION_TYPE',
            "The conversion action specified in the upload request isn't set up for uploading conversions.",
            at,
          ),
        ],
        actionId,
        action,
      };
    }
    return { errors: [], actionId, action };
  }

  function checkDateTime(raw: unknown, at: Path): { errors: AdsError[]; ms?: number } {
    if (raw === undefined || raw === '') return { errors: [adsError('fieldError', 'REQUIRED', 'The required field was not present.', at)] };
    const ms = parseDateTime(String(raw));
    if (ms === undefined) {
      return {
        errors: [
          adsError(
            'dateError',
            'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET',
            "The string date time's format should be yyyy-mm-dd hh:mm:ss+|-hh:mm.",
            at,
          ),
        ],
      };
    }
    if (Number.isNaN(ms)) {
      return {
        errors: [
          adsError('dateError', 'INVALID_FIELD_VALUES_IN_DATE_TIME', 'Given field values do not correspond to a valid date time.', at),
        ],
      };
    }
    return { errors: [], ms };
  }

  function checkIdentifiers(raw: unknown, path: Path, version: string, errorType: string): { errors: AdsError[]; count: number } {
    if (raw === undefined) return { errors: [], count: 0 };
    const at = pathString([...path, 'user_identifiers']);
    if (!Array.isArray(raw))
      throw new JsonShapeError(
        at,
        `Invalid value at '${at}' (type.googleapis.com/google.ads.googleads.${version}.common.UserIdentifier), ${JSON.stringify(raw)}`,
      );
    const errors: AdsError[] = [];
    if (raw.length > 5) {
      errors.push(adsError('collectionSizeError', 'TOO_MANY', 'Too many elements.', [...path, 'user_identifiers']));
    }
    raw.forEach((u, j) => {
      const p: Path = [...path, ['user_identifiers', j]];
      const o = fields(u, USER_IDENTIFIER_FIELDS, pathString(p));
      enumValue(
        o.userIdentifierSource,
        ['UNSPECIFIED', 'UNKNOWN', 'FIRST_PARTY', 'THIRD_PARTY'],
        `${pathString(p)}.user_identifier_source`,
        'UserIdentifierSourceEnum.UserIdentifierSource',
        version,
      );
      const set = IDENTIFIER_ONEOF.filter((k) => o[k] !== undefined);
      if (set.length > 1) {
        throw new JsonShapeError(
          pathString(p),
          `Invalid JSON payload received. Multiple values set for oneof "identifier" at '${pathString(p)}': ${set.map(snake).join(', ')}.`,
        );
      }
      const key = set[0];
      if (key !== 'hashedEmail' && key !== 'hashedPhoneNumber') {
        errors.push(
          adsError(
            errorType,
            'UNSUPPORTED_USER_IDENTIFIER',
            'The provided user identifiers are not supported. Use only hashed email or phone number and try again.',
            key ? [...p, snake(key)] : p,
          ),
        );
        return;
      }
      const value = stringValue(o[key], `${pathString(p)}.${snake(key)}`);
      if (!value || !SHA256_HEX.test(value)) {
        errors.push(
          adsError(
            errorType,
            'INVALID_USER_IDENTIFIER',
            'Make sure you hash user provided data using SHA-256 and ensure you are normalizing according to the guidelines.',
            [...p, snake(key)],
          ),
        );
      }
    });
    return { errors, count: raw.length };
  }

  // --- the request envelope both upload methods share ------------------------------------------
  /**
   * `partialFailure` must be true, and the rows (`listKey`, `listField` in error paths) a
   * non-empty list of at most 2,000; `tooMany` is the method's own error for more. Returns the
   * rows and validate_only, or Google's refusal.
   */
  function uploadEnvelope(
    req: FakeRequest,
    version: string,
    listKey: 'conversions' | 'conversionAdjustments',
    listField: string,
    tooMany: () => AdsError,
  ): { refusal: FakeResponse } | { refusal?: undefined; list: unknown[]; validateOnly: boolean } {
    const body = fields(req.json, ['customerId', listKey, 'partialFailure', 'validateOnly', 'jobId'], '');
    const partial = boolValue(body.partialFailure, 'partial_failure');
    const validateOnly = boolValue(body.validateOnly, 'validate_only') === true;
    if (partial !== true) {
      return {
        refusal: adsFailureFor(version, 400, [
          adsError('partialFailureError', 'PARTIAL_FAILURE_MODE_REQUIRED', 'The partial failure field must be true for this request.', [
            'partial_failure',
          ]),
        ]),
      };
    }
    const list = body[listKey];
    if (!Array.isArray(list) || list.length === 0) {
      // Approx.: the code for an empty conversions list is not documented.
      return { refusal: adsFailureFor(version, 400, [adsError('fieldError', 'REQUIRED_NONEMPTY_LIST', 'The required repeated field was empty.', [listField])]) };
    }
    if (list.length > 2000) return { refusal: adsFailureFor(version, 400, [tooMany()]) };
    return { list, validateOnly };
  }

  // --- uploadClickConversions ----------------------------------------------------------------
  function uploadClicks(req: FakeRequest, version: string, customer: FakeCustomer): FakeResponse {
    const envelope = uploadEnvelope(req, version, 'conversions', 'conversions', () =>
      adsError('conversionUploadError', 'TOO_MANY_CONVERSIONS_IN_REQUEST', 'Upload fewer than 2001 events in a single request.', ['conversions']),
    );
    if (envelope.refusal !== undefined) return envelope.refusal;
    const { list, validateOnly } = envelope;
    const now = options.now();
    const rowErrors: AdsError[][] = [];
    const orderIdsInRequest = new Map<string, number>();
    const clicksInRequest = new Set<string>();
    const accepted: Array<{ actionId: string; orderId?: string; clickKey?: string; atMs: number; value?: number }> = [];
    const results: Array<Record<string, unknown>> = [];
    list.forEach((raw, i) => {
      const path: Path = [['conversions', i]];
      const c = fields(raw, CLICK_CONVERSION_FIELDS, pathString(path));
      const errors: AdsError[] = [];
      const action = checkAction(c.conversionAction, path, 'conversionUploadError', ['UPLOAD_CLICKS']);
      errors.push(...action.errors);

      const gclid = stringValue(c.gclid, `${pathString(path)}.gclid`);
      const gbraid = stringValue(c.gbraid, `${pathString(path)}.gbraid`);
      const wbraid = stringValue(c.wbraid, `${pathString(path)}.wbraid`);
      const ids = c.userIdentifiers;
      const identifiers = checkIdentifiers(ids, path, version, 'conversionUploadError');
      errors.push(...identifiers.errors);
      if (gbraid && wbraid) {
        errors.push(
          adsError(
            'conversionUploadError',
            'GBRAID_WBRAID_BOTH_SET',
            "Can't use both gbraid and wbraid parameters. Use only 1 and try again.",
            [...path, 'wbraid'],
          ),
        );
      } else if (gclid && (gbraid || wbraid)) {
        // Approx.: "exactly one click id"; the enum Google uses for gclid + braid is not documented.
        errors.push(adsError('fieldError', 'VALUE_MUST_BE_UNSET', 'The field cannot be set.', [...path, gbraid ? 'gbraid' : 'wbraid']));
      }
      const clickIdValue = gclid ?? gbraid ?? wbraid;
      const clickField = gclid ? 'gclid' : gbraid ? 'gbraid' : 'wbraid';
      if (clickIdValue !== undefined && !CLICK_ID.test(clickIdValue)) {
        const code = gclid ? 'UNPARSEABLE_GCLID' : gbraid ? 'UNPARSEABLE_GBRAID' : 'UNPARSEABLE_WBRAID';
        errors.push(adsError('conversionUploadError', code, `The imported ${clickField} could not be decoded.`, [...path, clickField]));
      }
      if (clickIdValue === undefined) {
        if (identifiers.count === 0) {
          // Approx.: no click id and no user identifiers; the exact enum is not documented.
          errors.push(adsError('fieldError', 'REQUIRED', 'A click id (gclid, gbraid or wbraid) or user identifiers are required.', path));
        } else if (!customer.enhancedConversionsForLeadsEnabled) {
          errors.push(
            adsError(
              'conversionUploadError',
              'CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS',
              "Make sure you've turned on enhanced conversions for leads in conversion settings and try again.",
              path,
            ),
          );
        }
      }
      if (identifiers.count > 0 && !customer.acceptedCustomerDataTerms) {
        errors.push(
          adsError(
            'conversionUploadError',
            'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS',
            'Make sure you agree to the customer data processing terms in conversion settings and try again.',
            path,
          ),
        );
      }

      const dateTime = stringValue(c.conversionDateTime, `${pathString(path)}.conversion_date_time`);
      const when = checkDateTime(dateTime, [...path, 'conversion_date_time']);
      errors.push(...when.errors);
      if (when.ms !== undefined && clickIdValue !== undefined && CLICK_ID.test(clickIdValue)) {
        const clickAt = options.clicks[clickIdValue];
        if (clickAt === undefined) {
          if (options.unknownClicks === 'not_found') {
            errors.push(
              adsError(
                'conversionUploadError',
                'EVENT_NOT_FOUND',
                'The imported event could not be attributed to a click. This may be because the event did not come from a Google Ads campaign.',
                [...path, clickField],
              ),
            );
          }
        } else if (when.ms < clickAt) {
          errors.push(
            adsError(
              'conversionUploadError',
              'CONVERSION_PRECEDES_EVENT',
              'The imported event has a `conversion_date_time` that precedes the click. Make sure your `conversion_date_time` is correct and try again.',
              [...path, 'conversion_date_time'],
            ),
          );
        } else if (now - clickAt < 6 * HOUR) {
          errors.push(
            adsError(
              'conversionUploadError',
              'TOO_RECENT_EVENT',
              'The click associated with the given identifier or iOS URL parameter occurred less than 6 hours ago. Retry after 6 hours have passed.',
              [...path, clickField],
            ),
          );
        } else if (when.ms - clickAt > 90 * DAY) {
          errors.push(
            adsError(
              'conversionUploadError',
              'EXPIRED_EVENT',
              "The imported event can't be recorded because its click occurred before this conversion's click-through window. Make sure you import the most recent data.",
              [...path, clickField],
            ),
          );
        }
      }

      const value = numberValue(c.conversionValue, `${pathString(path)}.conversion_value`);
      const currency = stringValue(c.currencyCode, `${pathString(path)}.currency_code`);
      if (currency !== undefined && !CURRENCY.test(currency)) {
        errors.push(adsError('currencyCodeError', 'UNSUPPORTED', 'The currency code is not supported.', [...path, 'currency_code']));
      }
      if (c.consent !== undefined) {
        const consent = fields(c.consent, ['adUserData', 'adPersonalization'], `${pathString(path)}.consent`);
        enumValue(
          consent.adUserData,
          CONSENT_STATUS,
          `${pathString(path)}.consent.ad_user_data`,
          'ConsentStatusEnum.ConsentStatus',
          version,
        );
        enumValue(
          consent.adPersonalization,
          CONSENT_STATUS,
          `${pathString(path)}.consent.ad_personalization`,
          'ConsentStatusEnum.ConsentStatus',
          version,
        );
        if (consent.adPersonalization !== undefined) {
          // Consent.ad_personalization "can only be set for OfflineUserDataJobService and UserDataService"; enum approx.
          errors.push(
            adsError('fieldError', 'VALUE_MUST_BE_UNSET', 'The field cannot be set.', [...path, 'consent', 'ad_personalization']),
          );
        }
      }

      const orderId = stringValue(c.orderId, `${pathString(path)}.order_id`);
      if (orderId !== undefined && action.actionId) {
        const key = `${action.actionId}|${orderId}`;
        if (orderId.includes('@')) {
          // Approx. detector: Google does not document how it finds PII in order IDs.
          errors.push(
            adsError(
              'conversionUploadError',
              'ORDER_ID_CONTAINS_PII',
              "Can't import events with order IDs containing personally-identifiable information (PII).",
              [...path, 'order_id'],
            ),
          );
        } else if (orderIdsInRequest.has(key)) {
          errors.push(
            adsError(
              'conversionUploadError',
              'DUPLICATE_ORDER_ID',
              'Imported events include multiple conversions with the same order ID and were not processed.  Make sure order IDs are unique and try again.',
              [...path, 'order_id'],
            ),
          );
        } else if (state.orders.has(key)) {
          errors.push(
            adsError(
              'conversionUploadError',
              'ORDER_ID_ALREADY_IN_USE',
              'The imported event includes an order ID that was previously recorded, so the event was not processed.',
              [...path, 'order_id'],
            ),
          );
        }
        orderIdsInRequest.set(key, i);
      }
      let clickKey: string | undefined;
      if (orderId === undefined && clickIdValue !== undefined && action.actionId && dateTime) {
        clickKey = `${action.actionId}|${clickIdValue}|${dateTime}`;
        if (clicksInRequest.has(clickKey)) {
          errors.push(
            adsError(
              'conversionUploadError',
              'DUPLICATE_CLICK_CONVERSION_IN_REQUEST',
              'Multiple events have the same click and `conversion_date_time`. Make sure your `conversion_date_time` is correctly configured and try again.',
              path,
            ),
          );
        } else if (state.clickConversions.has(clickKey)) {
          errors.push(
            adsError(
              'conversionUploadError',
              'CLICK_CONVERSION_ALREADY_EXISTS',
              'The imported event has the same click and `conversion_date_time` as an existing conversion. Use a unique `conversion_date_time` or order ID for each unique event and try again.',
              path,
            ),
          );
        }
        clicksInRequest.add(clickKey);
      }

      rowErrors.push(errors);
      if (errors.length > 0) {
        results.push({});
        return;
      }
      accepted.push({ actionId: action.actionId!, orderId, clickKey, atMs: when.ms!, value });
      results.push({
        ...(gclid ? { gclid } : {}),
        ...(gbraid ? { gbraid } : {}),
        ...(wbraid ? { wbraid } : {}),
        conversionAction: c.conversionAction,
        conversionDateTime: dateTime,
        ...(ids !== undefined ? { userIdentifiers: ids } : {}),
      });
    });
    if (!validateOnly) {
      for (const a of accepted) {
        if (a.orderId !== undefined) {
          state.orders.set(`${a.actionId}|${a.orderId}`, { atMs: a.atMs, value: a.value, retracted: false, adjustments: [] });
        }
        if (a.clickKey) state.clickConversions.add(a.clickKey);
      }
    }
    return uploadResponse(version, rowErrors, results, validateOnly);
  }

  function uploadResponse(
    version: string,
    rowErrors: AdsError[][],
    results: Array<Record<string, unknown>>,
    validateOnly: boolean,
  ): FakeResponse {
    const all = rowErrors.flat();
    const body: Record<string, unknown> = {};
    if (all.length > 0) {
      body.partialFailureError = {
        code: 3,
        message: all
          .map(
            (e) =>
              `${e.message}, at ${(e.location?.fieldPathElements ?? [])
                .map((p) => (p.index !== undefined ? `${p.fieldName}[${p.index}]` : p.fieldName))
                .join('.')}`,
          )
          .join('\n'),
        details: [failureDetail(version, all)],
      };
    }
    // "Results are not returned when validate_only is true."
    if (!validateOnly) body.results = results;
    body.jobId = String(2 ** 31 + ++state.jobs);
    return { status: 200, body };
  }

  // --- uploadConversionAdjustments -----------------------------------------------------------
  function uploadAdjustments(req: FakeRequest, version: string): FakeResponse {
    const envelope = uploadEnvelope(req, version, 'conversionAdjustments', 'conversion_adjustments', () =>
      adsError(
        'conversionAdjustmentUploadError',
        'TOO_MANY_ADJUSTMENTS_IN_REQUEST',
        'Try uploading fewer than 2001 adjustments in a single API request.',
        ['conversion_adjustments'],
      ),
    );
    if (envelope.refusal !== undefined) return envelope.refusal;
    const { list, validateOnly } = envelope;
    const now = options.now();
    const T = 'conversionAdjustmentUploadError';
    const rowErrors: AdsError[][] = [];
    const results: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    const apply: Array<() => void> = [];
    list.forEach((raw, i) => {
      const path: Path = [['conversion_adjustments', i]];
      const a = fields(raw, ADJUSTMENT_FIELDS, pathString(path));
      const errors: AdsError[] = [];
      const action = checkAction(a.conversionAction, path, T, ['UPLOAD_CLICKS', 'WEBPAGE', 'SALESFORCE']);
      errors.push(...action.errors);
      const type = enumValue(
        a.adjustmentType,
        ADJUSTMENT_TYPES,
        `${pathString(path)}.adjustment_type`,
        'ConversionAdjustmentTypeEnum.ConversionAdjustmentType',
        version,
      );
      if (!type || type === 'UNSPECIFIED' || type === 'UNKNOWN') {
        errors.push(adsError('fieldError', 'REQUIRED', 'The required field was not present.', [...path, 'adjustment_type']));
      }
      const orderId = stringValue(a.orderId, `${pathString(path)}.order_id`);
      const pair =
        a.gclidDateTimePair === undefined
          ? undefined
          : fields(a.gclidDateTimePair, ['gclid', 'conversionDateTime'], `${pathString(path)}.gclid_date_time_pair`);
      if (orderId !== undefined && pair !== undefined && type !== 'ENHANCEMENT') {
        errors.push(
          adsError(
            T,
            'GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET',
            'Cannot set both gclid_date_time_pair and order_id. Use only 1 type and try again.',
            path,
          ),
        );
      } else if (orderId === undefined && pair === undefined) {
        // Approx.: neither identifier given.
        errors.push(adsError('fieldError', 'REQUIRED', 'order_id or gclid_date_time_pair is required.', path));
      }
      if (action.action?.type === 'WEBPAGE' && orderId === undefined) {
        errors.push(
          adsError(
            T,
            'MISSING_ORDER_ID_FOR_WEBPAGE',
            'Adjustment for website conversion requires Order ID (ie, transaction ID). Make sure your website tags capture Order IDs and you send the same Order IDs with your adjustment.',
            path,
          ),
        );
      }
      if (type === 'ENHANCEMENT') {
        errors.push(
          adsError(
            T,
            'CONVERSION_ACTION_NOT_ELIGIBLE_FOR_ENHANCEMENT',
            "Can't use enhanced conversions with the specified conversion action. (The fake does not model enhancements.)",
            path,
          ),
        );
      }
      const dateTime = stringValue(a.adjustmentDateTime, `${pathString(path)}.adjustment_date_time`);
      const when = checkDateTime(dateTime, [...path, 'adjustment_date_time']);
      errors.push(...when.errors);
      let restated: number | undefined;
      if (a.restatementValue !== undefined) {
        const rv = fields(a.restatementValue, ['adjustedValue', 'currencyCode'], `${pathString(path)}.restatement_value`);
        restated = numberValue(rv.adjustedValue, `${pathString(path)}.restatement_value.adjusted_value`);
        const currency = stringValue(rv.currencyCode, `${pathString(path)}.restatement_value.currency_code`);
        if (currency !== undefined && !CURRENCY.test(currency)) {
          errors.push(
            adsError('currencyCodeError', 'UNSUPPORTED', 'The currency code is not supported.', [
              ...path,
              'restatement_value',
              'currency_code',
            ]),
          );
        }
      }
      if (type === 'RESTATEMENT' && restated === undefined) {
        errors.push(
          adsError('fieldError', 'REQUIRED', 'Restatement value is required for restatements.', [
            ...path,
            'restatement_value',
            'adjusted_value',
          ]),
        );
      }
      if (type === 'RETRACTION' && a.restatementValue !== undefined) {
        // "Should not be supplied for retractions. An error will be returned"; enum approx.
        errors.push(adsError('fieldError', 'VALUE_MUST_BE_UNSET', 'The field cannot be set.', [...path, 'restatement_value']));
      }
      if (errors.length === 0 && action.actionId && orderId !== undefined && dateTime && when.ms !== undefined) {
        const key = `${action.actionId}|${orderId}`;
        const conv = state.orders.get(key);
        const dupKey = `${key}|${dateTime}`;
        if (seen.has(dupKey)) {
          errors.push(
            adsError(
              T,
              'DUPLICATE_ADJUSTMENT_IN_REQUEST',
              'Imported adjustment has a duplicate conversion adjustment with same `adjustment_date_time`. Make sure your adjustment has the correct `adjustment_date_time` and try again.',
              path,
            ),
          );
        } else if (!conv) {
          errors.push(
            adsError(
              T,
              'CONVERSION_NOT_FOUND',
              "The conversion for this conversion action and conversion identifier can't be found. Make sure your conversion identifiers are associated with the correct conversion action and try again.",
              [...path, 'order_id'],
            ),
          );
        } else if (conv.retracted) {
          errors.push(
            adsError(T, 'CONVERSION_ALREADY_RETRACTED', 'The conversion was already retracted. This adjustment was not processed.', path),
          );
        } else if (when.ms < conv.atMs) {
          errors.push(
            adsError(
              T,
              'ADJUSTMENT_PRECEDES_CONVERSION',
              'Adjustment has an `adjustment_date_time` that occurred before the associated conversion. Make sure your `adjustment_date_time` is correct and try again.',
              [...path, 'adjustment_date_time'],
            ),
          );
        } else if (now - conv.atMs < 24 * HOUR) {
          errors.push(
            adsError(
              T,
              'TOO_RECENT_CONVERSION',
              "Adjustment can't be recorded because the conversion occurred too recently. Try adjusting a conversion that occurred at least 24 hours ago.",
              path,
            ),
          );
        } else if (now - conv.atMs > 54 * DAY) {
          errors.push(
            adsError(T, 'CONVERSION_EXPIRED', "Adjustment can't be made to a conversion that occurred more than 54 days ago.", path),
          );
        } else if (conv.adjustments.includes(dateTime)) {
          errors.push(
            adsError(
              T,
              'RESTATEMENT_ALREADY_EXISTS',
              'The conversion has prior a restatement with the same `adjustment_date_time`. Make sure your adjustment has the correct and unique `adjustment_date_time` and try again.',
              [...path, 'adjustment_date_time'],
            ),
          );
        } else if (conv.adjustments.some((d) => (parseDateTime(d) ?? 0) > when.ms!)) {
          errors.push(
            adsError(
              T,
              'MORE_RECENT_RESTATEMENT_FOUND',
              'More recent adjustment `adjustment_date_time` has already been reported for the associated conversion.  Make sure your adjustment `adjustment_date_time` is correct and try again.',
              [...path, 'adjustment_date_time'],
            ),
          );
        }
        seen.add(dupKey);
        if (errors.length === 0 && conv) {
          apply.push(() => {
            conv.adjustments.push(dateTime);
            if (type === 'RETRACTION') conv.retracted = true;
            else conv.value = restated;
          });
        }
      }
      rowErrors.push(errors);
      results.push(
        errors.length > 0
          ? {}
          : {
              ...(orderId !== undefined ? { orderId } : {}),
              ...(pair ? { gclidDateTimePair: pair } : {}),
              conversionAction: a.conversionAction,
              adjustmentDateTime: dateTime,
              adjustmentType: type,
            },
      );
    });
    if (!validateOnly) for (const f of apply) f();
    return uploadResponse(version, rowErrors, results, validateOnly);
  }

  // --- googleAds:search (only the queries the connection test sends) -------------------------
  function search(req: FakeRequest, customerId: string, customer: FakeCustomer): FakeResponse {
    const body = fields(
      req.json,
      ['query', 'pageToken', 'pageSize', 'validateOnly', 'returnTotalResultsCount', 'summaryRowSetting', 'customerId'],
      '',
    );
    const query = String(body.query ?? '');
    if (/\bFROM\s+customer\b/i.test(query)) {
      return {
        status: 200,
        body: {
          results: [
            {
              customer: {
                resourceName: `customers/${customerId}`,
                id: customerId,
                descriptiveName: customer.name,
                conversionTrackingSetting: {
                  acceptedCustomerDataTerms: customer.acceptedCustomerDataTerms ?? false,
                  enhancedConversionsForLeadsEnabled: customer.enhancedConversionsForLeadsEnabled ?? false,
                },
              },
            },
          ],
          fieldMask:
            'customer.id,customer.descriptiveName,customer.conversionTrackingSetting.acceptedCustomerDataTerms,customer.conversionTrackingSetting.enhancedConversionsForLeadsEnabled',
          requestId: requestId(),
        },
      };
    }
    const ids = /\bFROM\s+conversion_action\s+WHERE\s+conversion_action\.id\s+IN\s*\(([\d,\s]+)\)/i.exec(query)?.[1];
    if (ids) {
      const results = ids
        .split(',')
        .map((s) => s.trim())
        .filter((id) => options.conversionActions[id])
        .map((id) => {
          const a = options.conversionActions[id]!;
          return {
            conversionAction: {
              resourceName: `customers/${customerId}/conversionActions/${id}`,
              id,
              name: a.name,
              type: a.type,
              status: a.status ?? 'ENABLED',
            },
          };
        });
      return {
        status: 200,
        body: {
          results,
          fieldMask: 'conversionAction.id,conversionAction.name,conversionAction.type,conversionAction.status',
          requestId: requestId(),
        },
      };
    }
    return {
      status: 501,
      body: {
        error: {
          code: 501,
          message: 'The fake answers only the customer and conversion_action queries of the connection test.',
          status: 'UNIMPLEMENTED',
        },
      },
    };
  }

  // --- routing -------------------------------------------------------------------------------
  const SUPPORTED_VERSIONS = ['v24', 'v25', 'v26'];
  const API_ROUTE = /^\/(v\d+)\/customers\/([^/:]+)(:uploadClickConversions|:uploadConversionAdjustments|\/googleAds:search)$/;

  function handle(req: FakeRequest): FakeResponse {
    if (req.path === '/token') return token(req);
    const next = queued.shift();
    if (next) return next;
    const route = API_ROUTE.exec(req.path);
    if (!route || req.method !== 'POST') {
      return { status: 404, body: { error: { code: 404, message: `Method not found: ${req.method} ${req.path}`, status: 'NOT_FOUND' } } };
    }
    const [, version, customerId, method] = route as unknown as [string, string, string, string];
    if (!SUPPORTED_VERSIONS.includes(version)) {
      return adsFailureFor(version, 400, [
        adsError('requestError', 'UNSUPPORTED_VERSION', 'This API version has been sunset and is no longer supported.'),
      ]);
    }
    const auth = authenticate(req, version, customerId);
    if ('status' in auth) return auth;
    if (req.json === undefined) return badJson('', 'Invalid JSON payload received. Unexpected token.');
    try {
      if (method === ':uploadClickConversions') return uploadClicks(req, version, auth);
      if (method === ':uploadConversionAdjustments') return uploadAdjustments(req, version);
      return search(req, customerId, auth);
    } catch (e) {
      if (e instanceof JsonShapeError) return badJson(e.field, e.message);
      throw e;
    }
  }

  function failure(kind: Exclude<FailureKind, 'timeout'>): FakeResponse {
    const v = 'v26';
    switch (kind) {
      case 500:
        return adsFailure(v, 500, 'INTERNAL', 'Internal error encountered.', [
          adsError('internalError', 'INTERNAL_ERROR', 'An internal error has occurred.'),
        ]);
      case 503:
        return { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } };
      case 429: {
        const res = adsFailure(v, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
          {
            ...adsError('quotaError', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'Too many requests. Retry in 30 seconds.'),
            details: { quotaErrorDetails: { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: '30s' } },
          },
        ]);
        return res;
      }
      case 'auth':
        return adsFailureFor(v, 403, [
          adsError('authorizationError', 'USER_PERMISSION_DENIED', "User doesn't have permission to access customer."),
        ]);
    }
  }

  const server = await startFakeServer({ name: 'google-ads', handle, failure }, opts.port ?? 0);
  return Object.assign(server, {
    state,
    options,
    tokenRequests: () => tokenCount,
    respondNext(res: FakeResponse) {
      queued.push(res);
    },
    addOrder(actionId: string, orderId: string, atMs: number, value?: number) {
      state.orders.set(`${actionId}|${orderId}`, { atMs, value, retracted: false, adjustments: [] });
    },
  });
}

if (isMainModule(import.meta.url)) {
  void runStandalone((port) => startFakeGoogleAds({ port }));
}
