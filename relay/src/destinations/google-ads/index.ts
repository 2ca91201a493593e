/**
 * Google Ads destination: offline click conversions (gclid / gbraid / wbraid), Enhanced
 * Conversions for Leads, and refunds as conversion adjustments, over the REST API with an OAuth
 * refresh token. One send may mix conversions and adjustments: each goes to its own endpoint and
 * the outcomes come back in payload order.
 */
import type { HttpResponse } from '../../delivery/http.js';
import { secretValues } from '../secrets.js';
import { parseJsonObject } from '../shared/json.js';
import { redactSecrets } from '../shared/redact.js';
import type { ConnectionDiagnosis, DeliveryOutcome, Destination, SendContext } from '../types.js';
import {
  CLICK_THROUGH_WINDOW_MAX_S,
  CONVERSION_ACTION_RESOURCE,
  CUSTOMER_CHECK_QUERY,
  GOOGLE_ADS_API_ORIGIN,
  MAX_ITEMS_PER_REQUEST,
  searchPath,
  uploadClickConversionsPath,
  uploadConversionAdjustmentsPath,
  type CustomerRow,
  type UploadClickConversionsRequest,
  type UploadConversionAdjustmentsRequest,
  type UploadResponse,
} from './api.js';
import { classifyRequestFailure, classifyRow, failureOf, formatCustomerId, rowIndexOf, type RequestFailure } from './errors.js';
import { isGoogleAdsPayload, mapEvent, type GoogleAdsPayload } from './map.js';
import { forgetAccessToken, getAccessToken, tokenUrlFor, type TokenRequestContext } from './oauth.js';
import { googleAdsSettingsSchema, type GoogleAdsSettings } from './settings.js';

export { googleAdsSettingsSchema, type GoogleAdsSettings, type GoogleAdsSettingsInput } from './settings.js';
export { GOOGLE_IDENTITY_FIELDS, formatGoogleDateTime, mapEvent, type GoogleAdsPayload } from './map.js';
export { GOOGLE_ADS_API_VERSION } from './api.js';

interface Session {
  ctx: SendContext<GoogleAdsSettings>;
  settings: GoogleAdsSettings;
  origin: string;
  nowMs: number;
  tokenCtx: TokenRequestContext;
  accessToken: string;
  /** Access tokens used in this send, redacted from every message. */
  seenTokens: string[];
  refreshed: boolean;
}

/** A session with a fresh access token; `refreshed` says whether the one refresh a session may make is used up. */
function openSession(
  ctx: SendContext<GoogleAdsSettings>,
  nowMs: number,
  tokenCtx: TokenRequestContext,
  accessToken: string,
  refreshed: boolean,
): Session {
  return {
    ctx,
    settings: ctx.settings,
    origin: ctx.baseUrl ?? GOOGLE_ADS_API_ORIGIN,
    nowMs,
    tokenCtx,
    accessToken,
    seenTokens: [accessToken],
    refreshed,
  };
}

type PostResult = { ok: true; res: HttpResponse } | { ok: false; failure: RequestFailure };

function apiHeaders(settings: GoogleAdsSettings, accessToken: string): Record<string, string> {
  return {
    authorization: `Bearer ${accessToken}`,
    'content-type': 'application/json',
    accept: 'application/json',
    // Sunset on 2026-09-09 (Google now ignores the header); still sent when configured for
    // accounts and API versions that predate the sunset.
    ...(settings.developer_token ? { 'developer-token': settings.developer_token } : {}),
    ...(settings.login_customer_id ? { 'login-customer-id': settings.login_customer_id } : {}),
  };
}

function tokenContext(ctx: SendContext<GoogleAdsSettings>, nowMs: number): TokenRequestContext {
  return {
    http: ctx.http,
    tokenUrl: tokenUrlFor(ctx.baseUrl),
    creds: ctx.settings,
    state: ctx.state,
    nowMs,
    signal: ctx.signal,
  };
}

/** POST with one token refresh when Google refuses the cached access token. */
async function post(session: Session, path: string, body: unknown): Promise<PostResult> {
  for (;;) {
    let res: HttpResponse;
    try {
      res = await session.ctx.http.request({
        method: 'POST',
        url: new URL(path, session.origin).toString(),
        headers: apiHeaders(session.settings, session.accessToken),
        body: JSON.stringify(body),
        signal: session.ctx.signal,
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : 'network error';
      return { ok: false, failure: { code: 'unreachable', outcome: { kind: 'retry', error: `Could not reach Google Ads (${why}).` } } };
    }
    if (res.status >= 200 && res.status < 300) return { ok: true, res };
    const failure = classifyRequestFailure(res, session.settings.customer_id, session.nowMs);
    if (!failure.tokenRejected) return { ok: false, failure };
    forgetAccessToken(session.ctx.state, session.accessToken);
    if (session.refreshed) return { ok: false, failure };
    session.refreshed = true;
    const fresh = await getAccessToken(session.tokenCtx, { forceRefresh: true });
    if (!fresh.ok) return { ok: false, failure: { code: fresh.code, outcome: fresh.outcome } };
    session.accessToken = fresh.accessToken;
    session.seenTokens.push(fresh.accessToken);
  }
}

function parseUploadResponse(body: string): UploadResponse {
  return (parseJsonObject(body) as UploadResponse | undefined) ?? {};
}

interface Item {
  index: number;
  payload: GoogleAdsPayload;
}

/** One uploadClickConversions or uploadConversionAdjustments call; one outcome per item. */
async function upload(session: Session, kind: GoogleAdsPayload['kind'], items: Item[]): Promise<DeliveryOutcome[]> {
  const { settings, nowMs } = session;
  const validateOnly = settings.validate_only ? { validateOnly: true } : {};
  let path: string;
  let body: UploadClickConversionsRequest | UploadConversionAdjustmentsRequest;
  if (kind === 'click') {
    path = uploadClickConversionsPath(settings.customer_id);
    body = {
      conversions: items.map((i) => (i.payload as Extract<GoogleAdsPayload, { kind: 'click' }>).conversion),
      partialFailure: true,
      ...validateOnly,
    };
  } else {
    path = uploadConversionAdjustmentsPath(settings.customer_id);
    body = {
      conversionAdjustments: items.map((i) => (i.payload as Extract<GoogleAdsPayload, { kind: 'adjustment' }>).adjustment),
      partialFailure: true,
      ...validateOnly,
    };
  }
  const result = await post(session, path, body);
  if (!result.ok) {
    const { rowErrors, outcome } = result.failure;
    if (!rowErrors) return items.map(() => outcome);
    return items.map((item, i): DeliveryOutcome => {
      const errors = rowErrors.get(i);
      return errors
        ? classifyRow(kind, errors, item.payload.occurred_at, nowMs)
        : {
            kind: 'retry',
            status: outcome.status,
            error: 'Not processed: Google Ads refused the whole request because of another event in it.',
          };
    });
  }

  const response = parseUploadResponse(result.res.body);
  const { errors, requestId } = failureOf(response.partialFailureError);
  const byRow = new Map<number, typeof errors>();
  const unlocated: typeof errors = [];
  for (const e of errors) {
    const i = rowIndexOf(e);
    if (i === undefined) unlocated.push(e);
    else byRow.set(i, [...(byRow.get(i) ?? []), e]);
  }
  const job = response.jobId ? ` (job ${response.jobId})` : '';
  return items.map((item, i): DeliveryOutcome => {
    const rowResult = response.results?.[i];
    const emptyResult = !rowResult || Object.keys(rowResult).length === 0;
    const rowErrs = byRow.get(i) ?? (unlocated.length > 0 && emptyResult ? unlocated : undefined);
    if (rowErrs) return classifyRow(kind, rowErrs, item.payload.occurred_at, nowMs, requestId);
    if (settings.validate_only) {
      return {
        kind: 'delivered',
        status: result.res.status,
        response: 'Validated only (validate_only is on): Google Ads checked it and recorded nothing.',
      };
    }
    if (emptyResult) {
      // Google documents an empty result only for failed rows, which come with an error.
      return { kind: 'retry', status: result.res.status, error: 'Google Ads returned neither a result nor an error for this event.' };
    }
    return { kind: 'delivered', status: result.res.status, response: `Uploaded to Google Ads${job}.` };
  });
}

/** Credentials of 6 characters or more are censored from every message (shorter values would hit ordinary words). */
function redactText(text: string, secrets: string[]): string {
  return redactSecrets(text, secrets, 6);
}

function redact(o: DeliveryOutcome, secrets: string[]): DeliveryOutcome {
  switch (o.kind) {
    case 'delivered':
      return o.response === undefined ? o : { ...o, response: redactText(o.response, secrets) };
    case 'defer':
      return { ...o, reason: redactText(o.reason, secrets) };
    default:
      return { ...o, error: redactText(o.error, secrets) };
  }
}

/**
 * Uploads mapped payloads: one access token (cached in `ctx.state`), one request per endpoint and
 * 2,000 items, and one outcome per payload in payload order. Messages never contain a credential.
 */
export async function sendGoogleAds(payloads: unknown[], ctx: SendContext<GoogleAdsSettings>): Promise<DeliveryOutcome[]> {
  const nowMs = ctx.nowMs ?? Date.now();
  const settings = ctx.settings;
  const out = new Array<DeliveryOutcome>(payloads.length);
  const groups: Record<GoogleAdsPayload['kind'], Item[]> = { click: [], adjustment: [] };
  payloads.forEach((payload, index) => {
    if (isGoogleAdsPayload(payload)) groups[payload.kind].push({ index, payload });
    else
      out[index] = {
        kind: 'drop',
        error: 'Not a Google Ads payload: it was mapped by another destination or an incompatible LayerSync version.',
      };
  });
  const secrets = secretValues(googleAdsSettingsSchema, settings);
  if (groups.click.length + groups.adjustment.length > 0) {
    const tokenCtx = tokenContext(ctx, nowMs);
    const token = await getAccessToken(tokenCtx);
    if (!token.ok) {
      for (const item of [...groups.click, ...groups.adjustment]) out[item.index] = token.outcome;
    } else {
      const session = openSession(ctx, nowMs, tokenCtx, token.accessToken, false);
      for (const kind of ['click', 'adjustment'] as const) {
        const items = groups[kind];
        // The worker already batches to maxBatchSize; chunking again keeps a direct caller within Google's limit.
        for (let start = 0; start < items.length; start += MAX_ITEMS_PER_REQUEST) {
          const chunk = items.slice(start, start + MAX_ITEMS_PER_REQUEST);
          const outcomes = await upload(session, kind, chunk);
          chunk.forEach((item, i) => (out[item.index] = outcomes[i]!));
        }
      }
      secrets.push(...session.seenTokens);
    }
  }
  return out.map((o) => redact(o, secrets));
}

// ---------------------------------------------------------------------------------------------
// Connection test

const ADJUSTABLE_TYPES = new Set(['UPLOAD_CLICKS', 'WEBPAGE', 'SALESFORCE']);

function actionId(ref: string): string {
  return CONVERSION_ACTION_RESOURCE.exec(ref)?.[2] ?? ref;
}

async function search(session: Session, query: string): Promise<{ ok: true; rows: unknown[] } | { ok: false; failure: RequestFailure }> {
  const result = await post(session, searchPath(session.settings.customer_id), { query });
  if (!result.ok) return result;
  try {
    const json = JSON.parse(result.res.body) as { results?: unknown[] };
    return { ok: true, rows: Array.isArray(json.results) ? json.results : [] };
  } catch {
    return { ok: true, rows: [] };
  }
}

/**
 * Refreshes the token, then reads the account (which proves the token, the account access and
 * the manager header) and the configured conversion actions. Nothing is uploaded.
 */
export async function testGoogleAdsConnection(ctx: SendContext<GoogleAdsSettings>): Promise<ConnectionDiagnosis> {
  const nowMs = ctx.nowMs ?? Date.now();
  const settings = ctx.settings;
  const secrets = secretValues(googleAdsSettingsSchema, settings);
  const diagnose = (ok: boolean, code: string, message: string): ConnectionDiagnosis => ({
    ok,
    code,
    message: redactText(message, secrets),
  });
  const cid = formatCustomerId(settings.customer_id);

  const tokenCtx = tokenContext(ctx, nowMs);
  const token = await getAccessToken(tokenCtx, { forceRefresh: true });
  if (!token.ok) return diagnose(false, token.code, token.outcome.error);
  secrets.push(token.accessToken);
  const session = openSession(ctx, nowMs, tokenCtx, token.accessToken, true);

  const customer = await search(session, CUSTOMER_CHECK_QUERY);
  if (!customer.ok) return diagnose(false, customer.failure.code, customer.failure.outcome.error);
  const row = (customer.rows[0] as CustomerRow | undefined)?.customer;
  if (!row) return diagnose(false, 'customer_not_found', `Google Ads returned no data for account ${cid}: check the customer ID.`);
  const name = row.descriptiveName ? ` ("${row.descriptiveName}")` : '';
  const tracking = row.conversionTrackingSetting ?? {};
  if (settings.leads_use_enhanced_conversions) {
    if (tracking.acceptedCustomerDataTerms !== true) {
      return diagnose(
        false,
        'customer_data_terms_not_accepted',
        `Account ${cid}${name} has not accepted the customer data terms, which enhanced conversions need: accept them in ` +
          'Google Ads (Goals > Settings), or turn off enhanced conversions for leads.',
      );
    }
    if (tracking.enhancedConversionsForLeadsEnabled !== true) {
      return diagnose(
        false,
        'ecl_not_enabled',
        `Enhanced conversions for leads is off in account ${cid}${name}: turn it on in Google Ads, or turn it off here.`,
      );
    }
  }

  const configured = Object.entries(settings.conversion_actions).map(([event, ref]) => ({ event, id: actionId(ref) }));
  if (configured.length === 0) {
    return diagnose(
      false,
      'no_conversion_actions',
      `Connected to account ${cid}${name}, but no conversion action is configured: nothing will be uploaded.`,
    );
  }
  const ids = [...new Set(configured.map((c) => c.id))];
  const actions = await search(
    session,
    'SELECT conversion_action.id, conversion_action.name, conversion_action.type, conversion_action.status ' +
      `FROM conversion_action WHERE conversion_action.id IN (${ids.join(', ')})`,
  );
  if (!actions.ok) return diagnose(false, actions.failure.code, actions.failure.outcome.error);
  const found = new Map<string, { name?: string; type?: string; status?: string }>();
  for (const r of actions.rows as Array<{ conversionAction?: { id?: string; name?: string; type?: string; status?: string } }>) {
    if (r.conversionAction?.id) found.set(String(r.conversionAction.id), r.conversionAction);
  }
  for (const { event, id } of configured) {
    const action = found.get(id);
    if (!action || action.status === 'REMOVED') {
      return diagnose(
        false,
        'conversion_action_not_found',
        `Conversion action ${id} (for "${event}") does not exist in account ${cid}${action ? ' anymore' : ''}.`,
      );
    }
    const allowed = event === 'refund' ? ADJUSTABLE_TYPES : new Set(['UPLOAD_CLICKS']);
    if (action.type && !allowed.has(action.type)) {
      return diagnose(
        false,
        'conversion_action_wrong_type',
        `Conversion action ${id} "${action.name ?? ''}" (for "${event}") is of type ${action.type}; uploads need an ` +
          '"Import from clicks" action (UPLOAD_CLICKS).',
      );
    }
  }
  const mode = settings.validate_only ? ' validate_only is on: uploads are checked, not recorded.' : '';
  return diagnose(true, 'ok', `OK: connected to Google Ads account ${cid}${name}; ${configured.length} conversion action(s) found.${mode}`);
}

export const googleAds: Destination<GoogleAdsSettings> = {
  slug: 'google_ads',
  label: 'Google Ads',
  settings: googleAdsSettingsSchema,
  maxBatchSize: MAX_ITEMS_PER_REQUEST,
  batchRejection: 'per-item',
  // Conversions after a click-through window (90 days at most) cannot be attributed; refunds
  // are further limited to 54 days in the mapper.
  maxEventAgeSeconds: CLICK_THROUGH_WINDOW_MAX_S,
  // Only conversion-like events; each is sent only when `conversion_actions` names an action for it.
  defaultEventMap: {
    purchase: 'purchase',
    refund: 'refund',
    lead: 'lead',
    sign_up: 'sign_up',
    subscribe: 'subscribe',
    start_trial: 'start_trial',
  },
  defaultBaseUrl: GOOGLE_ADS_API_ORIGIN,
  map: mapEvent,
  send: sendGoogleAds,
  testConnection: testGoogleAdsConnection,
};
