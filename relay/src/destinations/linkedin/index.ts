/**
 * LinkedIn Conversions API destination: POST {origin}/rest/conversionEvents with
 * `X-RestLi-Method: BATCH_CREATE` and `{"elements":[…]}`, versioned by `LinkedIn-Version`.
 * LinkedIn reports a status per element, but refuses a whole request for some errors (too old,
 * validation), so the destination declares 'all-or-nothing' and the worker bisects a batch that
 * came back refused as a whole.
 */
import type { StandardEventName } from '../../contract/event.js';
import { diagnosis, sendInChunks } from '../shared/outcome.js';
import type { ConnectionDiagnosis, Destination, SendContext } from '../types.js';
import {
  LINKEDIN_API_VERSION,
  LINKEDIN_CONVERSION_ROLES,
  LINKEDIN_DEFAULT_ORIGIN,
  LINKEDIN_MAX_EVENT_AGE_SECONDS,
  LINKEDIN_MAX_EVENTS_PER_REQUEST,
  LINKEDIN_REQUEST_TIMEOUT_MS,
  linkedinAdAccountUsersUrl,
  linkedinConversionEventsUrl,
  linkedinHeaders,
} from './api.js';
import { classifyLinkedinResponse, classifyLinkedinTransportError, type LinkedinClassification } from './classify.js';
import { mapLinkedinEvent } from './map.js';
import { linkedinSettings, type LinkedinSettings } from './settings.js';

/**
 * Canonical events LinkedIn can take, with the conversion rule type that fits each (Campaign
 * Manager's types, as listed by Segment's LinkedIn destination). The type is informational: the
 * rule URN in `conversion_rules` decides where an event goes, and events without a rule are not
 * sent. refund is left out: LinkedIn has no way to take a conversion back.
 */
export const LINKEDIN_DEFAULT_EVENT_MAP = {
  page_view: 'KEY_PAGE_VIEW',
  view_item: 'VIEW_CONTENT',
  search: 'SEARCH',
  add_to_cart: 'ADD_TO_CART',
  begin_checkout: 'START_CHECKOUT',
  add_payment_info: 'ADD_BILLING_INFO',
  purchase: 'PURCHASE',
  lead: 'LEAD',
  sign_up: 'SIGN_UP',
  subscribe: 'SUBSCRIBE',
  start_trial: 'START_TRIAL',
} as const satisfies Partial<Record<StandardEventName, string>>;

export interface LinkedinDestinationOptions {
  /** Per-request timeout; defaults to LINKEDIN_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Builds the LinkedIn destination; `linkedin` is the registry's instance, tests pass shorter timeouts. */
export function createLinkedinDestination(options: LinkedinDestinationOptions = {}): Destination<LinkedinSettings> {
  const timeoutMs = options.timeoutMs ?? LINKEDIN_REQUEST_TIMEOUT_MS;

  async function post(payloads: unknown[], ctx: SendContext<LinkedinSettings>): Promise<LinkedinClassification> {
    const { access_token } = ctx.settings;
    const version = ctx.settings.api_version ?? LINKEDIN_API_VERSION;
    const nowMs = ctx.nowMs ?? Date.now();
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: linkedinConversionEventsUrl(ctx.baseUrl ?? LINKEDIN_DEFAULT_ORIGIN),
        headers: linkedinHeaders(access_token, version, { batch: true }),
        body: JSON.stringify({ elements: payloads }),
        timeoutMs,
        signal: ctx.signal,
      });
      return classifyLinkedinResponse(res, { accessToken: access_token, version, count: payloads.length, nowMs });
    } catch (err) {
      return classifyLinkedinTransportError(err, {
        accessToken: access_token,
        timeoutMs,
        aborted: ctx.signal?.aborted === true,
        count: payloads.length,
      });
    }
  }

  return {
    slug: 'linkedin',
    label: 'LinkedIn Conversions API',
    settings: linkedinSettings,
    maxBatchSize: LINKEDIN_MAX_EVENTS_PER_REQUEST,
    batchRejection: 'all-or-nothing',
    maxEventAgeSeconds: LINKEDIN_MAX_EVENT_AGE_SECONDS,
    defaultEventMap: LINKEDIN_DEFAULT_EVENT_MAP,
    defaultBaseUrl: LINKEDIN_DEFAULT_ORIGIN,
    map: mapLinkedinEvent,

    // At most LinkedIn's 5,000 events per request.
    send: (payloads, ctx) => sendInChunks(payloads, LINKEDIN_MAX_EVENTS_PER_REQUEST, async (chunk) => (await post(chunk, ctx)).outcomes),

    /**
     * Lists the ad accounts the token's member has a role on (`GET /rest/adAccountUsers
     * ?q=authenticatedUser`, r_ads scope). It proves the token, the scopes for reading and the
     * pinned LinkedIn-Version without creating a conversion — LinkedIn has no test mode (notes
     * §3, §9.8). Whether each configured rule URN resolves is only known on the first send (a
     * bad one answers 403, which parks the connection with an explanation).
     */
    async testConnection(ctx) {
      const { access_token } = ctx.settings;
      const version = ctx.settings.api_version ?? LINKEDIN_API_VERSION;
      const nowMs = ctx.nowMs ?? Date.now();
      let result: LinkedinClassification;
      try {
        const res = await ctx.http.request({
          method: 'GET',
          url: linkedinAdAccountUsersUrl(ctx.baseUrl ?? LINKEDIN_DEFAULT_ORIGIN),
          headers: linkedinHeaders(access_token, version),
          timeoutMs,
          signal: ctx.signal,
        });
        if (res.status === 200) {
          const accounts = adAccountRoles(res.body);
          if (accounts !== undefined) return diagnoseAccounts(accounts, ctx.settings);
        }
        result = classifyLinkedinResponse(res, { accessToken: access_token, version, count: 1, nowMs });
      } catch (err) {
        result = classifyLinkedinTransportError(err, { accessToken: access_token, timeoutMs, aborted: ctx.signal?.aborted === true, count: 1 });
      }
      const outcome = result.outcomes[0]!;
      const message = 'error' in outcome ? outcome.error : 'LinkedIn answered, but not with the list of ad accounts.';
      return diagnosis(false, result.problem === 'ok' || outcome.kind === 'delivered' ? 'unexpected_response' : result.problem, message);
    },
  };
}

/** The LinkedIn Conversions API destination. */
export const linkedin: Destination<LinkedinSettings> = createLinkedinDestination();

interface AccountRole {
  account: string;
  role: string;
}

function adAccountRoles(body: string): AccountRole[] | undefined {
  try {
    const json = JSON.parse(body) as { elements?: unknown };
    if (!Array.isArray(json.elements)) return undefined;
    return json.elements
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ account: String(e.account ?? ''), role: String(e.role ?? '') }));
  } catch {
    return undefined;
  }
}

function diagnoseAccounts(accounts: AccountRole[], settings: LinkedinSettings): ConnectionDiagnosis {
  const allowed: readonly string[] = LINKEDIN_CONVERSION_ROLES;
  const usable = accounts.filter((a) => allowed.includes(a.role));
  const rules = Object.keys(settings.conversion_rules).sort().join(', ');
  if (usable.length === 0) {
    return diagnosis(
      false,
      'permission_denied',
      accounts.length === 0
        ? 'LinkedIn accepted the access token, but its member has no role on any ad account. Ask an Account Manager to add them as Campaign Manager (or higher), then test again.'
        : `LinkedIn accepted the access token, but its member is only ${[...new Set(accounts.map((a) => a.role))].join(', ')} on ${accounts.length} ad account(s); sending conversions needs Account Billing Admin, Account Manager, Campaign Manager or Creative Manager.`,
    );
  }
  const ids = usable.map((a) => a.account.replace(/^urn:li:sponsoredAccount:/, '')).join(', ');
  return diagnosis(
    true,
    'ok',
    `Connected to LinkedIn: the token's member can send conversions for ad account(s) ${ids}. Conversion rules are set for: ${rules}. LinkedIn has no test mode, so each rule is checked when its first event is sent.`,
  );
}
