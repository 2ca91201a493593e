/**
 * The Google Ads fake's own validations: each documented rule rejects what Google rejects, with
 * Google's error shape, so destination tests that pass against it mean something.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../src/delivery/http.js';
import { FAKE_GOOGLE_ADS as F, startFakeGoogleAds, type FakeGoogleAds, type FakeGoogleAdsOptions } from './fakes/google-ads-server.js';

const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HEX = 'a'.repeat(64);
const ACTION = `customers/${F.customerId}/conversionActions/${F.purchaseActionId}`;
const UPLOAD = `/v26/customers/${F.customerId}:uploadClickConversions`;
const ADJUST = `/v26/customers/${F.customerId}:uploadConversionAdjustments`;

let fake: FakeGoogleAds;
let http: HttpClient;
let clock = NOW_MS;

async function restart(opts: FakeGoogleAdsOptions = {}) {
  await fake?.close();
  fake = await startFakeGoogleAds({ now: () => clock, ...opts });
}

beforeEach(async () => {
  clock = NOW_MS;
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
  await restart();
});
afterEach(async () => {
  await http.close();
  await fake.close();
});

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  headers: Record<string, string>;
}

async function call(path: string, body: unknown, headers: Record<string, string> = {}, method: 'POST' | 'GET' = 'POST'): Promise<Answer> {
  const res = await http.request({
    method,
    url: fake.url + path,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: JSON.parse(res.body), headers: res.headers };
}

function tokenForm(fields: Record<string, string>, contentType = 'application/x-www-form-urlencoded') {
  return http.request({
    method: 'POST',
    url: `${fake.url}/token`,
    headers: { 'content-type': contentType },
    body: new URLSearchParams(fields).toString(),
  });
}

async function accessToken(clientId: string = F.clientId, refreshToken: string = F.refreshToken): Promise<string> {
  const res = await tokenForm({
    grant_type: 'refresh_token',
    client_id: clientId,
    client_secret: F.clientSecret,
    refresh_token: refreshToken,
  });
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

async function auth(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await accessToken()}`, ...extra };
}

const conv = (over: Record<string, unknown> = {}) => ({
  gclid: 'Cj0KCQiA-fake-click-1',
  conversionAction: ACTION,
  conversionDateTime: '2026-11-20 12:00:00+00:00',
  ...over,
});

async function upload(conversions: unknown[], extra: Record<string, unknown> = {}, path = UPLOAD, headers?: Record<string, string>) {
  return call(path, { conversions, partialFailure: true, ...extra }, headers ?? (await auth()));
}

async function adjust(adjustments: unknown[], extra: Record<string, unknown> = {}) {
  return call(ADJUST, { conversionAdjustments: adjustments, partialFailure: true, ...extra }, await auth());
}

/** Request-level error code, e.g. "authenticationError:CUSTOMER_NOT_FOUND". */
function requestCode(a: Answer): string | undefined {
  const e = a.json.error?.details?.[0]?.errors?.[0];
  return e ? Object.entries(e.errorCode as Record<string, string>).map(([k, v]) => `${k}:${v}`)[0] : undefined;
}

/** Per-row errors of a partial failure: "row → code @ path". */
function rowCodes(a: Answer): string[] {
  expect(a.status).toBe(200);
  const errors = (a.json.partialFailureError?.details?.[0]?.errors ?? []) as Array<{
    errorCode: Record<string, string>;
    location?: { fieldPathElements: Array<{ fieldName: string; index?: number }> };
  }>;
  return errors.map((e) => {
    const path = (e.location?.fieldPathElements ?? [])
      .map((p) => (p.index !== undefined ? `${p.fieldName}[${p.index}]` : p.fieldName))
      .join('.');
    return `${Object.values(e.errorCode)[0]} @ ${path}`;
  });
}

// ---------------------------------------------------------------------------------------------

describe('fake OAuth token endpoint', () => {
  it('exchanges a valid refresh token for a bearer access token', async () => {
    const res = await tokenForm({
      grant_type: 'refresh_token',
      client_id: F.clientId,
      client_secret: F.clientSecret,
      refresh_token: F.refreshToken,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toStrictEqual({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 3599,
      scope: 'https://www.googleapis.com/auth/adwords',
      token_type: 'Bearer',
    });
    expect(fake.tokenRequests()).toBe(1);
  });

  const good = { grant_type: 'refresh_token', client_id: F.clientId, client_secret: F.clientSecret, refresh_token: F.refreshToken };
  it.each([
    ['a JSON body', good, 'application/json', 400, 'invalid_request'],
    ['no grant_type', { ...good, grant_type: '' }, undefined, 400, 'invalid_request'],
    ['another grant type', { ...good, grant_type: 'authorization_code' }, undefined, 400, 'unsupported_grant_type'],
    ['an unknown client', { ...good, client_id: 'nobody.apps.googleusercontent.com' }, undefined, 401, 'invalid_client'],
    ['a wrong client secret', { ...good, client_secret: 'wrong' }, undefined, 401, 'invalid_client'],
    ['no refresh token', { ...good, refresh_token: '' }, undefined, 400, 'invalid_request'],
    ['an unknown refresh token', { ...good, refresh_token: '1//never-issued' }, undefined, 400, 'invalid_grant'],
    ['a revoked refresh token', { ...good, refresh_token: F.revokedRefreshToken }, undefined, 400, 'invalid_grant'],
    ["another client's refresh token", { ...good, refresh_token: F.testOnlyRefreshToken }, undefined, 400, 'unauthorized_client'],
  ])('refuses %s', async (_, fields, contentType, status, error) => {
    const res = await tokenForm(fields, contentType);
    expect(res.status).toBe(status);
    const json = JSON.parse(res.body) as { error: string; error_description: string };
    expect(json.error).toBe(error);
    expect(typeof json.error_description).toBe('string');
  });

  it('says "Token has been expired or revoked." for a revoked refresh token', async () => {
    const res = await tokenForm({ ...good, refresh_token: F.revokedRefreshToken });
    expect(JSON.parse(res.body)).toStrictEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });
});

describe('fake API authentication and headers', () => {
  it('refuses a request without bearer token with Google’s plain 401', async () => {
    const a = await upload([conv()], {}, UPLOAD, {});
    expect(a.status).toBe(401);
    expect(a.json.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(a.json.error.details).toBeUndefined();
  });

  it('refuses a token it did not issue, and an expired one', async () => {
    expect((await upload([conv()], {}, UPLOAD, { authorization: 'Bearer ya29.made-up' })).status).toBe(401);
    const headers = await auth();
    clock += 3600 * 1000;
    const a = await upload([conv()], {}, UPLOAD, headers);
    expect(a.status).toBe(401);
    expect(a.json.error.message).toContain('invalid authentication credentials');
  });

  it.each([
    [
      'a customer ID with dashes',
      '/v26/customers/123-456-7890:uploadClickConversions',
      {},
      401,
      'authenticationError:CLIENT_CUSTOMER_ID_INVALID',
    ],
    ['an unknown customer', '/v26/customers/1112223333:uploadClickConversions', {}, 401, 'authenticationError:CUSTOMER_NOT_FOUND'],
    ['a login-customer-id with dashes', UPLOAD, { 'login-customer-id': '987-654-3210' }, 400, 'headerError:INVALID_LOGIN_CUSTOMER_ID'],
    [
      'a managed account without login-customer-id',
      `/v26/customers/${F.managedCustomerId}:uploadClickConversions`,
      {},
      403,
      'authorizationError:USER_PERMISSION_DENIED',
    ],
    [
      'a login-customer-id that does not manage the account',
      `/v26/customers/${F.managedCustomerId}:uploadClickConversions`,
      { 'login-customer-id': F.customerId },
      403,
      'authorizationError:INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION',
    ],
    ['a retired API version', '/v19/customers/1234567890:uploadClickConversions', {}, 400, 'requestError:UNSUPPORTED_VERSION'],
  ])('refuses %s', async (_, path, headers, status, code) => {
    const a = await upload(
      [conv({ conversionAction: `customers/1/conversionActions/${F.purchaseActionId}` })],
      {},
      path,
      await auth(headers),
    );
    expect(a.status).toBe(status);
    expect(requestCode(a)).toBe(code);
    expect(a.json.error.details[0]['@type']).toMatch(/^type\.googleapis\.com\/google\.ads\.googleads\.v\d+\.errors\.GoogleAdsFailure$/);
    expect(a.json.error.details[0].requestId).toMatch(/^fake-req-/);
  });

  it('serves a managed account through its manager', async () => {
    const a = await upload(
      [conv()],
      {},
      `/v26/customers/${F.managedCustomerId}:uploadClickConversions`,
      await auth({ 'login-customer-id': F.managerId }),
    );
    expect(a.status).toBe(200);
  });

  it('refuses a Cloud project with test access only', async () => {
    const a = await upload([conv()], {}, UPLOAD, {
      authorization: `Bearer ${await accessToken(F.testOnlyClientId, F.testOnlyRefreshToken)}`,
    });
    expect(a.status).toBe(403);
    expect(requestCode(a)).toBe('authorizationError:CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION');
  });

  it('ignores the developer-token header by default (sunset 2026-09-09)', async () => {
    expect((await upload([conv()], {}, UPLOAD, await auth({ 'developer-token': 'anything' }))).status).toBe(200);
    expect((await upload([conv({ gclid: 'Cj0KCQiA-fake-click-2' })])).status).toBe(200);
  });

  it.each([
    ['missing', {}, 400, 'requestError:DEVELOPER_TOKEN_PARAMETER_MISSING'],
    ['unknown', { 'developer-token': 'nope' }, 401, 'authenticationError:DEVELOPER_TOKEN_INVALID'],
    [
      'approved for test accounts only',
      { 'developer-token': F.testOnlyDeveloperToken },
      403,
      'authorizationError:DEVELOPER_TOKEN_NOT_APPROVED',
    ],
  ])('with pre-sunset checking, refuses a developer token that is %s', async (_, headers, status, code) => {
    await restart({ developerTokens: { approved: [F.developerToken], testOnly: [F.testOnlyDeveloperToken] } });
    const a = await upload([conv()], {}, UPLOAD, await auth(headers));
    expect(a.status).toBe(status);
    expect(requestCode(a)).toBe(code);
    expect((await upload([conv()], {}, UPLOAD, await auth({ 'developer-token': F.developerToken }))).status).toBe(200);
  });

  it('answers 404 for unknown routes and methods', async () => {
    expect((await call('/v26/customers/1234567890:uploadCallConversionz', {}, await auth())).status).toBe(404);
    expect((await call(UPLOAD, undefined, await auth(), 'GET')).status).toBe(404);
  });
});

describe('fake uploadClickConversions — request', () => {
  it.each([
    ['missing', {}],
    ['false', { partialFailure: false }],
  ])('requires partial_failure (%s)', async (_, extra) => {
    const a = await call(UPLOAD, { conversions: [conv()], ...extra }, await auth());
    expect(a.status).toBe(400);
    expect(requestCode(a)).toBe('partialFailureError:PARTIAL_FAILURE_MODE_REQUIRED');
  });

  it('accepts proto field names (snake_case) as the JSON mapping does', async () => {
    const a = await call(
      UPLOAD,
      {
        conversions: [{ gclid: 'Cj0KCQiA-snake', conversion_action: ACTION, conversion_date_time: '2026-11-20 12:00:00+00:00' }],
        partial_failure: true,
      },
      await auth(),
    );
    expect(a.status).toBe(200);
    expect(a.json.partialFailureError).toBeUndefined();
  });

  it.each([
    ['an unknown field', [conv({ conversionActionId: 1 })], 'Unknown name "conversionActionId" at \'conversions[0]\''],
    [
      'a consent value outside the enum',
      [conv({ consent: { adUserData: 'YES' } })],
      "Invalid value at 'conversions[0].consent.ad_user_data'",
    ],
    [
      'two identifiers in one UserIdentifier (a oneof)',
      [conv({ userIdentifiers: [{ hashedEmail: HEX, hashedPhoneNumber: HEX }] })],
      'Multiple values set for oneof',
    ],
    ['a non-numeric value', [conv({ conversionValue: 'lots' })], "Invalid value at 'conversions[0].conversion_value'"],
    ['a numeric gclid', [conv({ gclid: 123 })], "Invalid value at 'conversions[0].gclid'"],
  ])('refuses JSON that does not fit the proto: %s', async (_, conversions, text) => {
    const a = await upload(conversions);
    expect(a.status).toBe(400);
    expect(a.json.error.status).toBe('INVALID_ARGUMENT');
    expect(a.json.error.details[0]['@type']).toBe('type.googleapis.com/google.rpc.BadRequest');
    expect(a.json.error.details[0].fieldViolations[0].description).toContain(text);
  });

  it('refuses a body that is not JSON', async () => {
    const a = await call(UPLOAD, 'conversions=1', await auth());
    expect(a.status).toBe(400);
  });

  it('refuses an empty conversions list', async () => {
    const a = await upload([]);
    expect(requestCode(a)).toBe('fieldError:REQUIRED_NONEMPTY_LIST');
  });

  it('accepts 2,000 conversions and refuses 2,001', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => conv({ orderId: `o-${n}-${i}` }));
    expect((await upload(many(2000))).status).toBe(200);
    const a = await upload(many(2001));
    expect(a.status).toBe(400);
    expect(requestCode(a)).toBe('conversionUploadError:TOO_MANY_CONVERSIONS_IN_REQUEST');
  });
});

describe('fake uploadClickConversions — per-row validation', () => {
  const six = Array.from({ length: 6 }, () => ({ hashedEmail: HEX }));
  it.each([
    ['no conversion action', conv({ conversionAction: undefined }), 'REQUIRED @ conversions[0].conversion_action'],
    [
      'a malformed conversion action',
      conv({ conversionAction: 'conversionActions/111111' }),
      'RESOURCE_NAME_MALFORMED @ conversions[0].conversion_action',
    ],
    [
      'an unknown conversion action',
      conv({ conversionAction: 'customers/1234567890/conversionActions/9' }),
      'NO_CONVERSION_ACTION_FOUND @ conversions[0].conversion_action',
    ],
    [
      'a website-tag conversion action',
      conv({ conversionAction: `customers/1/conversionActions/${F.webpageActionId}` }),
      'INVALID_CONVERSION_ACTION_TYPE @ conversions[0].conversion_action',
    ],
    ['no click id and no identifiers', conv({ gclid: undefined }), 'REQUIRED @ conversions[0]'],
    [
      'gbraid and wbraid',
      conv({ gclid: undefined, gbraid: 'gbraid-value-1', wbraid: 'wbraid-value-1' }),
      'GBRAID_WBRAID_BOTH_SET @ conversions[0].wbraid',
    ],
    ['gclid and wbraid', conv({ wbraid: 'wbraid-value-1' }), 'VALUE_MUST_BE_UNSET @ conversions[0].wbraid'],
    ['an undecodable gclid', conv({ gclid: 'not a gclid' }), 'UNPARSEABLE_GCLID @ conversions[0].gclid'],
    ['an undecodable gbraid', conv({ gclid: undefined, gbraid: 'x!' }), 'UNPARSEABLE_GBRAID @ conversions[0].gbraid'],
    ['an undecodable wbraid', conv({ gclid: undefined, wbraid: 'x!' }), 'UNPARSEABLE_WBRAID @ conversions[0].wbraid'],
    ['no conversion time', conv({ conversionDateTime: undefined }), 'REQUIRED @ conversions[0].conversion_date_time'],
    [
      'a time without time zone',
      conv({ conversionDateTime: '2026-11-20 12:00:00' }),
      'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET @ conversions[0].conversion_date_time',
    ],
    [
      'an ISO 8601 time',
      conv({ conversionDateTime: '2026-11-20T12:00:00Z' }),
      'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET @ conversions[0].conversion_date_time',
    ],
    [
      'an impossible date',
      conv({ conversionDateTime: '2026-02-30 12:00:00+00:00' }),
      'INVALID_FIELD_VALUES_IN_DATE_TIME @ conversions[0].conversion_date_time',
    ],
    ['a lowercase currency', conv({ conversionValue: 5, currencyCode: 'eur' }), 'UNSUPPORTED @ conversions[0].currency_code'],
    ['a 4-letter currency', conv({ conversionValue: 5, currencyCode: 'EURO' }), 'UNSUPPORTED @ conversions[0].currency_code'],
    ['six user identifiers', conv({ userIdentifiers: six }), 'TOO_MANY @ conversions[0].user_identifiers'],
    [
      'an unhashed email',
      conv({ userIdentifiers: [{ hashedEmail: 'a@example.com' }] }),
      'INVALID_USER_IDENTIFIER @ conversions[0].user_identifiers[0].hashed_email',
    ],
    [
      'an uppercase hash',
      conv({ userIdentifiers: [{ hashedPhoneNumber: 'A'.repeat(64) }] }),
      'INVALID_USER_IDENTIFIER @ conversions[0].user_identifiers[0].hashed_phone_number',
    ],
    [
      'address info',
      conv({ userIdentifiers: [{ addressInfo: { hashedFirstName: HEX } }] }),
      'UNSUPPORTED_USER_IDENTIFIER @ conversions[0].user_identifiers[0].address_info',
    ],
    [
      'ad_personalization consent',
      conv({ consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' } }),
      'VALUE_MUST_BE_UNSET @ conversions[0].consent.ad_personalization',
    ],
    ['an email in the order ID', conv({ orderId: 'jane@example.com' }), 'ORDER_ID_CONTAINS_PII @ conversions[0].order_id'],
  ])('rejects %s', async (_, c, expected) => {
    const a = await upload([c]);
    expect(rowCodes(a)).toStrictEqual([expected]);
    expect(a.json.results).toStrictEqual([{}]);
  });

  it('accepts identifiers only where the customer data terms are accepted, and ECL only where enabled', async () => {
    const path = `/v26/customers/${F.plainCustomerId}:uploadClickConversions`;
    const ecl = { gclid: undefined, userIdentifiers: [{ hashedEmail: HEX }] };
    expect(rowCodes(await upload([conv(ecl)], {}, path))).toStrictEqual([
      'CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS @ conversions[0]',
      'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS @ conversions[0]',
    ]);
    expect(rowCodes(await upload([conv(ecl)]))).toStrictEqual([]);
  });

  it('answers Google’s partial-failure shape: empty results for failed rows, a located GoogleAdsFailure', async () => {
    const a = await upload([
      conv({ orderId: 'a' }),
      conv({ orderId: 'b', gclid: 'bad gclid' }),
      conv({ orderId: 'c', gclid: undefined, wbraid: 'wbraid-value-1' }),
    ]);
    expect(a.status).toBe(200);
    expect(a.json.results).toStrictEqual([
      { gclid: 'Cj0KCQiA-fake-click-1', conversionAction: ACTION, conversionDateTime: '2026-11-20 12:00:00+00:00' },
      {},
      { wbraid: 'wbraid-value-1', conversionAction: ACTION, conversionDateTime: '2026-11-20 12:00:00+00:00' },
    ]);
    expect(a.json.jobId).toMatch(/^\d+$/);
    expect(a.json.partialFailureError).toMatchObject({ code: 3, message: expect.stringContaining('at conversions[1].gclid') });
    expect(a.json.partialFailureError.details[0]['@type']).toBe('type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure');
    expect(a.json.partialFailureError.details[0].errors[0]).toStrictEqual({
      errorCode: { conversionUploadError: 'UNPARSEABLE_GCLID' },
      message: 'The imported gclid could not be decoded.',
      location: { fieldPathElements: [{ fieldName: 'conversions', index: 1 }, { fieldName: 'gclid' }] },
    });
  });

  it('validate_only reports errors but returns no results and records nothing', async () => {
    const a = await upload([conv({ orderId: 'v-1' }), conv({ orderId: 'v-2', gclid: 'bad gclid' })], { validateOnly: true });
    expect(a.json.results).toBeUndefined();
    expect(rowCodes(a)).toStrictEqual(['UNPARSEABLE_GCLID @ conversions[1].gclid']);
    expect(rowCodes(await upload([conv({ orderId: 'v-1' })]))).toStrictEqual([]);
  });

  it('keeps one conversion per order ID and per click + time', async () => {
    expect(rowCodes(await upload([conv({ orderId: 'dup' }), conv({ orderId: 'dup', gclid: 'Cj0KCQiA-other' })]))).toStrictEqual([
      'DUPLICATE_ORDER_ID @ conversions[1].order_id',
    ]);
    expect(rowCodes(await upload([conv({ orderId: 'dup' })]))).toStrictEqual(['ORDER_ID_ALREADY_IN_USE @ conversions[0].order_id']);
    expect(rowCodes(await upload([conv(), conv()]))).toStrictEqual(['DUPLICATE_CLICK_CONVERSION_IN_REQUEST @ conversions[1]']);
    expect(rowCodes(await upload([conv()]))).toStrictEqual(['CLICK_CONVERSION_ALREADY_EXISTS @ conversions[0]']);
  });

  it('applies the click timing rules to known clicks', async () => {
    await restart({
      clicks: {
        'Cj0KCQiA-fresh': NOW_MS - 2 * HOUR_MS,
        'Cj0KCQiA-old': NOW_MS - 100 * DAY_MS,
        'Cj0KCQiA-later': NOW_MS - DAY_MS,
        'Cj0KCQiA-good': NOW_MS - 10 * DAY_MS,
      },
      unknownClicks: 'not_found',
    });
    const at = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + '+00:00';
    const a = await upload([
      conv({ gclid: 'Cj0KCQiA-fresh', conversionDateTime: at(NOW_MS - HOUR_MS) }),
      conv({ gclid: 'Cj0KCQiA-old', conversionDateTime: at(NOW_MS - 5 * DAY_MS) }),
      conv({ gclid: 'Cj0KCQiA-later', conversionDateTime: at(NOW_MS - 2 * DAY_MS) }),
      conv({ gclid: 'Cj0KCQiA-good', conversionDateTime: at(NOW_MS - 9 * DAY_MS) }),
      conv({ gclid: 'Cj0KCQiA-unknown', conversionDateTime: at(NOW_MS - 9 * DAY_MS) }),
    ]);
    expect(rowCodes(a)).toStrictEqual([
      'TOO_RECENT_EVENT @ conversions[0].gclid',
      'EXPIRED_EVENT @ conversions[1].gclid',
      'CONVERSION_PRECEDES_EVENT @ conversions[2].conversion_date_time',
      'EVENT_NOT_FOUND @ conversions[4].gclid',
    ]);
  });
});

describe('fake uploadConversionAdjustments', () => {
  const adj = (over: Record<string, unknown> = {}) => ({
    orderId: 'WC-1',
    conversionAction: ACTION,
    adjustmentType: 'RETRACTION',
    adjustmentDateTime: '2026-11-23 10:00:00+00:00',
    ...over,
  });
  beforeEach(() => fake.addOrder(F.purchaseActionId, 'WC-1', NOW_MS - 3 * DAY_MS, 100));

  it('requires partial_failure and at most 2,000 adjustments', async () => {
    const a = await call(ADJUST, { conversionAdjustments: [adj()] }, await auth());
    expect(requestCode(a)).toBe('partialFailureError:PARTIAL_FAILURE_MODE_REQUIRED');
    const b = await adjust(Array.from({ length: 2001 }, () => adj()));
    expect(requestCode(b)).toBe('conversionAdjustmentUploadError:TOO_MANY_ADJUSTMENTS_IN_REQUEST');
  });

  it('refuses an adjustment type outside the enum', async () => {
    const a = await adjust([adj({ adjustmentType: 'REFUND' })]);
    expect(a.status).toBe(400);
    expect(a.json.error.details[0].fieldViolations[0].description).toContain('conversion_adjustments[0].adjustment_type');
  });

  it.each([
    [
      'an unknown conversion action',
      adj({ conversionAction: 'customers/1/conversionActions/5' }),
      'NO_CONVERSION_ACTION_FOUND @ conversion_adjustments[0].conversion_action',
    ],
    ['no adjustment type', adj({ adjustmentType: undefined }), 'REQUIRED @ conversion_adjustments[0].adjustment_type'],
    [
      'order ID and gclid pair',
      adj({ gclidDateTimePair: { gclid: 'Cj0KCQiA-x', conversionDateTime: '2026-11-20 12:00:00+00:00' } }),
      'GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET @ conversion_adjustments[0]',
    ],
    ['neither order ID nor gclid pair', adj({ orderId: undefined }), 'REQUIRED @ conversion_adjustments[0]'],
    [
      'a website action without order ID',
      adj({
        orderId: undefined,
        conversionAction: `customers/1/conversionActions/${F.webpageActionId}`,
        gclidDateTimePair: { gclid: 'Cj0KCQiA-x', conversionDateTime: '2026-11-20 12:00:00+00:00' },
      }),
      'MISSING_ORDER_ID_FOR_WEBPAGE @ conversion_adjustments[0]',
    ],
    [
      'a restatement without value',
      adj({ adjustmentType: 'RESTATEMENT' }),
      'REQUIRED @ conversion_adjustments[0].restatement_value.adjusted_value',
    ],
    [
      'a retraction with a value',
      adj({ restatementValue: { adjustedValue: 5 } }),
      'VALUE_MUST_BE_UNSET @ conversion_adjustments[0].restatement_value',
    ],
    [
      'a lowercase currency',
      adj({ adjustmentType: 'RESTATEMENT', restatementValue: { adjustedValue: 5, currencyCode: 'eur' } }),
      'UNSUPPORTED @ conversion_adjustments[0].restatement_value.currency_code',
    ],
    [
      'a time without time zone',
      adj({ adjustmentDateTime: '2026-11-23 10:00:00' }),
      'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET @ conversion_adjustments[0].adjustment_date_time',
    ],
    ['an unknown order', adj({ orderId: 'WC-404' }), 'CONVERSION_NOT_FOUND @ conversion_adjustments[0].order_id'],
    [
      'a time before the conversion',
      adj({ adjustmentDateTime: '2026-11-19 10:00:00+00:00' }),
      'ADJUSTMENT_PRECEDES_CONVERSION @ conversion_adjustments[0].adjustment_date_time',
    ],
  ])('rejects %s', async (_, a, expected) => {
    const res = await adjust([a]);
    expect(rowCodes(res)).toStrictEqual([expected]);
    expect(res.json.results).toStrictEqual([{}]);
  });

  it('refuses an action type that cannot be adjusted', async () => {
    await restart({ conversionActions: { '7': { name: 'Calls', type: 'AD_CALL' } } });
    fake.addOrder('7', 'WC-1', NOW_MS - 3 * DAY_MS);
    expect(rowCodes(await adjust([adj({ conversionAction: 'customers/1/conversionActions/7' })]))).toStrictEqual([
      'INVALID_CONVERSION_ACTION_TYPE @ conversion_adjustments[0].conversion_action',
    ]);
  });

  it('enforces the 24 hour and 54 day windows', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-NEW', NOW_MS - 2 * HOUR_MS);
    fake.addOrder(F.purchaseActionId, 'WC-OLD', NOW_MS - 55 * DAY_MS);
    expect(rowCodes(await adjust([adj({ orderId: 'WC-NEW' }), adj({ orderId: 'WC-OLD' })]))).toStrictEqual([
      'TOO_RECENT_CONVERSION @ conversion_adjustments[0]',
      'CONVERSION_EXPIRED @ conversion_adjustments[1]',
    ]);
  });

  it('restates, refuses a repeat or an older restatement, then retracts once', async () => {
    const restate = (time: string, value: number) =>
      adj({ adjustmentType: 'RESTATEMENT', adjustmentDateTime: time, restatementValue: { adjustedValue: value, currencyCode: 'EUR' } });
    const a = await adjust([restate('2026-11-23 10:00:00+00:00', 80)]);
    expect(a.json.results).toStrictEqual([
      { orderId: 'WC-1', conversionAction: ACTION, adjustmentDateTime: '2026-11-23 10:00:00+00:00', adjustmentType: 'RESTATEMENT' },
    ]);
    expect(fake.state.orders.get(`${F.purchaseActionId}|WC-1`)!.value).toBe(80);
    expect(rowCodes(await adjust([restate('2026-11-23 10:00:00+00:00', 70)]))).toStrictEqual([
      'RESTATEMENT_ALREADY_EXISTS @ conversion_adjustments[0].adjustment_date_time',
    ]);
    expect(rowCodes(await adjust([restate('2026-11-23 09:00:00+00:00', 70)]))).toStrictEqual([
      'MORE_RECENT_RESTATEMENT_FOUND @ conversion_adjustments[0].adjustment_date_time',
    ]);
    expect(
      rowCodes(
        await adjust([adj({ adjustmentDateTime: '2026-11-23 11:00:00+00:00' }), adj({ adjustmentDateTime: '2026-11-23 11:00:00+00:00' })]),
      ),
    ).toStrictEqual(['DUPLICATE_ADJUSTMENT_IN_REQUEST @ conversion_adjustments[1]']);
    expect(rowCodes(await adjust([adj({ adjustmentDateTime: '2026-11-23 11:30:00+00:00' })]))).toStrictEqual([
      'CONVERSION_ALREADY_RETRACTED @ conversion_adjustments[0]',
    ]);
  });

  it('validate_only adjusts nothing', async () => {
    const a = await adjust([adj()], { validateOnly: true });
    expect(a.json.results).toBeUndefined();
    expect(fake.state.orders.get(`${F.purchaseActionId}|WC-1`)!.retracted).toBe(false);
  });

  it('an uploaded conversion with order ID can be adjusted afterwards', async () => {
    await upload([conv({ orderId: 'WC-UP' })]);
    clock += 2 * DAY_MS;
    expect(rowCodes(await adjust([adj({ orderId: 'WC-UP', adjustmentDateTime: '2026-11-25 10:00:00+00:00' })]))).toStrictEqual([]);
  });
});

describe('fake googleAds:search', () => {
  const SEARCH = `/v26/customers/${F.customerId}/googleAds:search`;
  it('answers the customer query', async () => {
    const a = await call(SEARCH, { query: 'SELECT customer.id FROM customer LIMIT 1' }, await auth());
    expect(a.json.results[0].customer).toStrictEqual({
      resourceName: `customers/${F.customerId}`,
      id: F.customerId,
      descriptiveName: 'LayerSync Test Store',
      conversionTrackingSetting: { acceptedCustomerDataTerms: true, enhancedConversionsForLeadsEnabled: true },
    });
  });

  it('answers the conversion action query with the known actions only', async () => {
    const a = await call(
      SEARCH,
      { query: `SELECT conversion_action.id FROM conversion_action WHERE conversion_action.id IN (${F.purchaseActionId}, 999)` },
      await auth(),
    );
    expect(a.json.results).toStrictEqual([
      {
        conversionAction: {
          resourceName: `customers/${F.customerId}/conversionActions/${F.purchaseActionId}`,
          id: F.purchaseActionId,
          name: 'Purchase (import from clicks)',
          type: 'UPLOAD_CLICKS',
          status: 'ENABLED',
        },
      },
    ]);
  });

  it('says plainly which queries it does not implement', async () => {
    const a = await call(SEARCH, { query: 'SELECT campaign.id FROM campaign' }, await auth());
    expect(a.status).toBe(501);
  });
});

describe('fake failure injection', () => {
  it.each([
    [500, 'INTERNAL', 'internalError:INTERNAL_ERROR'],
    [429, 'RESOURCE_EXHAUSTED', 'quotaError:RESOURCE_TEMPORARILY_EXHAUSTED'],
    ['auth', 'PERMISSION_DENIED', 'authorizationError:USER_PERMISSION_DENIED'],
    [503, 'UNAVAILABLE', undefined],
  ] as const)('%s answers Google’s %s shape', async (kind, status, code) => {
    const headers = await auth();
    fake.failNext(1, kind);
    const a = await upload([conv()], {}, UPLOAD, headers);
    expect(a.json.error.status).toBe(status);
    expect(requestCode(a)).toBe(code);
    if (kind === 429) expect(a.json.error.details[0].errors[0].details.quotaErrorDetails.retryDelay).toBe('30s');
  });
});

describe('fake standalone', () => {
  it('starts with --port and serves the token endpoint', async () => {
    const require = createRequire(import.meta.url);
    const tsx = require.resolve('tsx/cli');
    const script = fileURLToPath(new URL('./fakes/google-ads-server.ts', import.meta.url));
    const child = spawn(process.execPath, [tsx, script, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('standalone fake did not start')), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          const m = /listening (http:\/\/\S+)/.exec(chunk.toString());
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const res = await http.request({
        method: 'POST',
        url: `${url}/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: F.clientId,
          client_secret: F.clientSecret,
          refresh_token: F.revokedRefreshToken,
        }).toString(),
      });
      expect(JSON.parse(res.body)).toStrictEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
