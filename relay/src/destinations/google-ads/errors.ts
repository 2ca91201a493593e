/**
 * Turns Google Ads answers into delivery outcomes. Two levels:
 * - request level (HTTP status + `error.details[].errors[]`, a GoogleAdsFailure): credentials and
 *   account problems park the destination, quota and server errors retry, the rest drops;
 * - row level (`partialFailureError` of a 200 answer, located by
 *   `location.fieldPathElements[0].index`): each event gets its own outcome.
 * Error enums: googleapis google/ads/googleads/v25/errors/*.proto.
 */
import type { HttpResponse } from '../../delivery/http.js';
import { withRetryAfter } from '../shared/outcome.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import type { DeliveryOutcome } from '../types.js';
import {
  ADJUSTMENT_MIN_CONVERSION_AGE_MS,
  CLICK_MIN_AGE_MS,
  GOOGLE_ADS_API_VERSION,
  NEW_CONVERSION_ACTION_WAIT_MS,
  type FieldPathElement,
  type GoogleAdsError,
  type RpcStatus,
} from './api.js';

/** A GoogleAdsError's code split into its oneof member and enum name. */
export interface ErrorCodeName {
  /** The oneof member, e.g. "conversionUploadError". */
  type: string;
  /** The enum name, e.g. "TOO_RECENT_EVENT". */
  value: string;
}

/** The (single) code of an error; undefined for BadRequest field violations, which have none. */
export function codeOf(err: GoogleAdsError): ErrorCodeName | undefined {
  const entry = Object.entries(err.errorCode ?? {})[0];
  return entry ? { type: entry[0], value: String(entry[1]) } : undefined;
}

const ROW_FIELDS = new Set(['conversions', 'conversion_adjustments', 'conversionAdjustments']);

/** Index of the request row an error is about, from `location.fieldPathElements`. */
export function rowIndexOf(err: GoogleAdsError): number | undefined {
  const first = err.location?.fieldPathElements?.find((e) => ROW_FIELDS.has(e.fieldName));
  return typeof first?.index === 'number' ? first.index : undefined;
}

/** "conversions[3].consent.ad_user_data" → field path elements. */
function parseFieldPath(path: string): FieldPathElement[] {
  return path.split('.').map((part) => {
    const m = /^([^[\]]+)\[(\d+)\]$/.exec(part);
    return m ? { fieldName: m[1]!, index: Number(m[2]) } : { fieldName: part };
  });
}

/**
 * GoogleAdsFailure errors and request id inside a google.rpc.Status. A malformed JSON body is
 * refused before the Ads backend with a google.rpc.BadRequest (`fieldViolations[{field,
 * description}]`) instead; those become errors without a code but with their location.
 */
export function failureOf(status: RpcStatus | undefined): { errors: GoogleAdsError[]; requestId?: string } {
  const errors: GoogleAdsError[] = [];
  let requestId: string | undefined;
  for (const d of status?.details ?? []) {
    const detail = d as { errors?: unknown; requestId?: unknown; fieldViolations?: unknown };
    if (Array.isArray(detail.errors)) errors.push(...(detail.errors as GoogleAdsError[]));
    if (typeof detail.requestId === 'string') requestId = detail.requestId;
    if (Array.isArray(detail.fieldViolations)) {
      for (const v of detail.fieldViolations as Array<{ field?: unknown; description?: unknown }>) {
        errors.push({
          errorCode: {},
          message: typeof v.description === 'string' ? v.description : 'invalid field',
          ...(typeof v.field === 'string' ? { location: { fieldPathElements: parseFieldPath(v.field) } } : {}),
        });
      }
    }
  }
  return { errors, requestId };
}

const describe = (err: GoogleAdsError): string => {
  const code = codeOf(err);
  const msg = typeof err.message === 'string' ? err.message.trim().replace(/\.$/, '') : 'no message';
  return code ? `${msg} (${code.value})` : msg;
};

const joinMessages = (errors: GoogleAdsError[]): string => [...new Set(errors.map(describe))].join('; ');

/** google.protobuf.Duration in JSON: "30s", "1.5s". */
function durationMs(d: unknown): number | undefined {
  if (typeof d !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** 1234567890 → 123-456-7890, as Google Ads shows account IDs to merchants. */
export const formatCustomerId = (id: string): string => (/^\d{10}$/.test(id) ? `${id.slice(0, 3)}-${id.slice(3, 6)}-${id.slice(6)}` : id);

// ---------------------------------------------------------------------------------------------
// Request level

export interface RequestFailure {
  /** Applies to every row of the request unless `rowErrors` says otherwise. */
  outcome: Extract<DeliveryOutcome, { kind: 'auth' | 'retry' | 'drop' }>;
  /** Connection-test code: customer_not_found, permission_denied, developer_token_not_approved, … */
  code: string;
  /** The access token itself was refused: a fresh one may fix it (refresh once, then park). */
  tokenRejected?: boolean;
  /** A 400 whose errors name rows: only those rows are bad, the rest was not processed. */
  rowErrors?: Map<number, GoogleAdsError[]>;
}

/** The parts of a request-level error body the classifier uses. */
export interface ParsedErrorBody {
  status?: string;
  message?: string;
  errors: GoogleAdsError[];
  requestId?: string;
}

/** Parses `{"error": {code, message, status, details}}`; anything else yields no errors. */
export function parseErrorBody(body: string): ParsedErrorBody {
  try {
    const json = JSON.parse(body) as { error?: RpcStatus & { status?: string } };
    const e = json?.error;
    if (!e || typeof e !== 'object') return { errors: [] };
    return {
      status: typeof e.status === 'string' ? e.status : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      ...failureOf(e),
    };
  } catch {
    return { errors: [] };
  }
}

const TOKEN_CODES = new Set([
  'OAUTH_TOKEN_INVALID',
  'OAUTH_TOKEN_EXPIRED',
  'OAUTH_TOKEN_DISABLED',
  'OAUTH_TOKEN_REVOKED',
  'OAUTH_TOKEN_HEADER_INVALID',
]);

/** Request errors that are really configuration: every event would fail the same way until settings change. */
const CONFIG_REQUEST_ERRORS = new Set([
  'INVALID_CUSTOMER_ID',
  'DEVELOPER_TOKEN_PARAMETER_MISSING',
  'LOGIN_CUSTOMER_ID_PARAMETER_MISSING',
  'CLOUD_PROJECT_NOT_FOUND',
  'UNSUPPORTED_VERSION',
]);

function authMessage(code: ErrorCodeName, err: GoogleAdsError, customerId: string): { code: string; text: string } {
  const cid = formatCustomerId(customerId);
  switch (code.value) {
    case 'CUSTOMER_NOT_FOUND':
    case 'CLIENT_CUSTOMER_ID_INVALID':
    case 'INVALID_CUSTOMER_ID':
      return { code: 'customer_not_found', text: `Google Ads found no account with customer ID ${cid}: check the customer ID.` };
    case 'USER_PERMISSION_DENIED':
      return {
        code: 'permission_denied',
        text:
          `The connected Google account has no access to Google Ads account ${cid}. If access goes through a manager ` +
          'account, set the manager account ID (login customer ID); otherwise reconnect with a user of this account.',
      };
    case 'INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION':
      return { code: 'permission_denied', text: `The manager account (login customer ID) does not manage account ${cid}.` };
    case 'INVALID_LOGIN_CUSTOMER_ID':
    case 'LOGIN_CUSTOMER_ID_PARAMETER_MISSING':
      return {
        code: 'invalid_login_customer_id',
        text: 'Google Ads could not use the manager account ID (login customer ID): check it is the 10-digit ID of a manager of this account.',
      };
    case 'DEVELOPER_TOKEN_NOT_APPROVED':
      return {
        code: 'developer_token_not_approved',
        text: 'The developer token is approved for test accounts only: apply for Basic or Standard access in the Google Ads API Center.',
      };
    case 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION':
      return {
        code: 'project_not_approved',
        text:
          'The Google Cloud project of this OAuth client is approved for test accounts only: apply for Explorer, Basic or ' +
          'Standard access to the Google Ads API for the project.',
      };
    case 'DEVELOPER_TOKEN_INVALID':
    case 'DEVELOPER_TOKEN_PARAMETER_MISSING':
    case 'DEVELOPER_TOKEN_PROHIBITED':
    case 'DEVELOPER_TOKEN_NOT_ON_ALLOWLIST':
      return { code: 'developer_token_invalid', text: `Google Ads refused the developer token: ${describe(err)}.` };
    case 'NOT_ADS_USER':
      return {
        code: 'not_ads_user',
        text: 'The Google account that authorized LayerSync is not a Google Ads user: reconnect with an account that has access.',
      };
    case 'CUSTOMER_NOT_ENABLED':
      return { code: 'customer_not_enabled', text: `Google Ads account ${cid} is not enabled or was deactivated.` };
    case 'UNSUPPORTED_VERSION':
      return {
        code: 'unsupported_version',
        text: `Google no longer serves Google Ads API ${GOOGLE_ADS_API_VERSION}, which this LayerSync version uses: update LayerSync.`,
      };
    default:
      return { code: 'auth_error', text: `Google Ads refused the request: ${describe(err)}.` };
  }
}

/** Classifies a non-200 answer from an upload or search call. */
export function classifyRequestFailure(res: HttpResponse, customerId: string, nowMs: number): RequestFailure {
  const parsed = parseErrorBody(res.body);
  const status = res.status;
  const withId = (text: string) => (parsed.requestId ? `${text} [Google request ${parsed.requestId}]` : text);
  const coded = parsed.errors.map((e) => ({ e, c: codeOf(e) })).filter((x): x is { e: GoogleAdsError; c: ErrorCodeName } => !!x.c);

  const token = coded.find((x) => x.c.type === 'authenticationError' && TOKEN_CODES.has(x.c.value));
  // A 401 without a GoogleAdsFailure is Google's front end refusing the bearer token itself.
  if (token || (status === 401 && coded.length === 0)) {
    return {
      tokenRejected: true,
      code: 'token_rejected',
      outcome: {
        kind: 'auth',
        status,
        error: withId(
          `Google Ads refused the OAuth access token${token ? ` (${token.c.value})` : ''} even after a refresh: reconnect Google Ads.`,
        ),
      },
    };
  }
  const config = coded.find(
    (x) =>
      x.c.type === 'authenticationError' ||
      x.c.type === 'authorizationError' ||
      x.c.type === 'headerError' ||
      (x.c.type === 'requestError' && CONFIG_REQUEST_ERRORS.has(x.c.value)) ||
      (x.c.type === 'quotaError' && x.c.value === 'ACCESS_PROHIBITED'),
  );
  if (config) {
    const m = authMessage(config.c, config.e, customerId);
    return { code: m.code, outcome: { kind: 'auth', status, error: withId(m.text) } };
  }
  if (status === 403) {
    return {
      code: 'permission_denied',
      outcome: {
        kind: 'auth',
        status,
        error: withId(`Google Ads denied access (${parsed.status ?? 'HTTP 403'}): ${parsed.message ?? 'no details'}.`),
      },
    };
  }
  const quota = coded.filter((x) => x.c.type === 'quotaError');
  if (status === 429 || quota.length > 0 || parsed.status === 'RESOURCE_EXHAUSTED') {
    const delays = quota.map((x) => durationMs(x.e.details?.quotaErrorDetails?.retryDelay)).filter((d): d is number => d !== undefined);
    const header = parseRetryAfter(res.headers['retry-after'], nowMs);
    const wait = Math.max(header ?? 0, ...delays);
    return {
      code: 'rate_limited',
      outcome: {
        kind: 'retry',
        status,
        error: withId(`Google Ads rate limit: ${quota.length ? joinMessages(quota.map((x) => x.e)) : parsed.message ?? `HTTP ${status}`}.`),
        ...(wait > 0 ? { retryAfterMs: wait } : {}),
      },
    };
  }
  if (status >= 500 || coded.some((x) => x.c.type === 'internalError')) {
    return {
      code: 'unreachable',
      outcome: withRetryAfter(
        { kind: 'retry', status, error: withId(`Google Ads had a temporary problem (HTTP ${status}${parsed.status ? ` ${parsed.status}` : ''}).`) },
        parseRetryAfter(res.headers['retry-after'], nowMs),
      ),
    };
  }
  if (status === 404) {
    return {
      code: 'not_found',
      outcome: {
        kind: 'auth',
        status,
        error: `Google Ads answered 404 for the upload URL: the API version ${GOOGLE_ADS_API_VERSION} may be retired or the API origin is wrong.`,
      },
    };
  }
  // 400 INVALID_ARGUMENT and other client errors: the payload itself is wrong.
  const rowErrors = new Map<number, GoogleAdsError[]>();
  for (const e of parsed.errors) {
    const i = rowIndexOf(e);
    if (i !== undefined) rowErrors.set(i, [...(rowErrors.get(i) ?? []), e]);
  }
  const text = parsed.errors.length ? joinMessages(parsed.errors) : parsed.message ?? `HTTP ${status}`;
  return {
    code: 'invalid_request',
    outcome: { kind: 'drop', status, error: withId(`Google Ads rejected the request: ${text}.`) },
    // Only when every error names a row can the other rows be retried on their own.
    ...(rowErrors.size > 0 && parsed.errors.every((e) => rowIndexOf(e) !== undefined) ? { rowErrors } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Row level

/** Already recorded: a retry of something Google has. Treated as delivered. */
const ALREADY_DONE = new Set([
  'ORDER_ID_ALREADY_IN_USE',
  'CLICK_CONVERSION_ALREADY_EXISTS',
  'CONVERSION_ALREADY_RETRACTED',
  'RESTATEMENT_ALREADY_EXISTS',
  'CONVERSION_ALREADY_ENHANCED',
]);

/** Needs a configuration change in Google Ads or in the settings: named in the message. */
const SETUP_HINTS: Record<string, string> = {
  NO_CONVERSION_ACTION_FOUND: 'check the conversion action IDs in the Google Ads settings',
  INVALID_CONVERSION_ACTION_TYPE: 'use a conversion action of type "Import from clicks" (UPLOAD_CLICKS)',
  CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS:
    'accept the customer data terms in Google Ads conversion settings, or turn off enhanced conversions for leads',
  CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS: 'turn on enhanced conversions for leads in Google Ads conversion settings',
};

const SEVERITY: Record<DeliveryOutcome['kind'], number> = { drop: 4, auth: 4, retry: 3, defer: 2, delivered: 1 };

/**
 * One row's errors → its outcome. `occurredAtS` is the conversion (or refund) time; the click
 * happened before it, so "occurred + 6 h" is a safe time to retry a too-recent click, and
 * "refund + 24 h" for an adjustment of a too-recent conversion.
 */
export function classifyRow(
  kind: 'click' | 'adjustment',
  errors: GoogleAdsError[],
  occurredAtS: number,
  nowMs: number,
  requestId?: string,
): DeliveryOutcome {
  const what = kind === 'click' ? 'conversion' : 'adjustment';
  const suffix = requestId ? ` [Google request ${requestId}]` : '';
  const margin = 60_000;
  const outcomes = errors.map((err): DeliveryOutcome => {
    const code = codeOf(err);
    const value = code?.value ?? '';
    if (ALREADY_DONE.has(value)) {
      return { kind: 'delivered', status: 200, response: `Google Ads already had this ${what} (${value}).` };
    }
    if (value === 'CLICK_NOT_FOUND') {
      // A warning for Enhanced Conversions for Leads: the lead did not come from a Google ad.
      return {
        kind: 'delivered',
        status: 200,
        response: 'Uploaded; Google found no matching ad click (CLICK_NOT_FOUND), normal for leads not from Google Ads.',
      };
    }
    if (value === 'TOO_RECENT_EVENT' || value === 'TOO_RECENT_CALL') {
      return {
        kind: 'defer',
        untilMs: Math.max(occurredAtS * 1000 + CLICK_MIN_AGE_MS, nowMs) + margin,
        reason: `Google Ads accepts a conversion only 6 hours after its ad click (${value}).`,
      };
    }
    if (value === 'TOO_RECENT_CONVERSION') {
      return {
        kind: 'defer',
        untilMs: Math.max(occurredAtS * 1000 + ADJUSTMENT_MIN_CONVERSION_AGE_MS, nowMs) + margin,
        reason: 'Google Ads adjusts a conversion only 24 hours after it happened (TOO_RECENT_CONVERSION).',
      };
    }
    if (value === 'TOO_RECENT_CONVERSION_ACTION') {
      return {
        kind: 'defer',
        untilMs: nowMs + NEW_CONVERSION_ACTION_WAIT_MS + margin,
        reason: 'The conversion action was just created; Google Ads accepts uploads to it after 6 hours (TOO_RECENT_CONVERSION_ACTION).',
      };
    }
    if (code?.type === 'internalError' || code?.type === 'quotaError' || code?.type === 'databaseError') {
      const delay = durationMs(err.details?.quotaErrorDetails?.retryDelay);
      return {
        kind: 'retry',
        error: `Google Ads could not process this ${what} now: ${describe(err)}.${suffix}`,
        ...(delay !== undefined ? { retryAfterMs: delay } : {}),
      };
    }
    const hint = SETUP_HINTS[value];
    return {
      kind: 'drop',
      status: 400,
      error: `Google Ads rejected the ${what}: ${describe(err)}${hint ? `; ${hint}` : ''}.${suffix}`,
    };
  });
  if (outcomes.length === 0) {
    return { kind: 'drop', status: 400, error: `Google Ads rejected the ${what} without a reason.${suffix}` };
  }
  let worst = outcomes[0]!;
  for (const o of outcomes) if (SEVERITY[o.kind] > SEVERITY[worst.kind]) worst = o;
  // Several drop reasons for one row: keep them all, the merchant fixes them at once.
  if (worst.kind === 'drop') {
    const reasons = outcomes.filter((o): o is Extract<DeliveryOutcome, { kind: 'drop' }> => o.kind === 'drop');
    if (reasons.length > 1) {
      return {
        kind: 'drop',
        status: 400,
        error: `Google Ads rejected the ${what}: ${reasons
          .map((r) =>
            r.error
              .replace(/^Google Ads rejected the \w+: /, '')
              .replace(/ \[Google request [^\]]+\]$/, '')
              .replace(/\.$/, ''),
          )
          .join('; ')}.${suffix}`,
      };
    }
  }
  return worst;
}
