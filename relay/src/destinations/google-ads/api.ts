/**
 * Google Ads API constants, REST paths and the JSON wire shapes the destination sends and reads.
 *
 * Sources (see /work/shared/platforms/meta-ga4-googleads-tiktok.md §3):
 * - googleapis/googleapis google/ads/googleads/v25/services/conversion_upload_service.proto and
 *   conversion_adjustment_upload_service.proto (field names, formats, limits);
 * - .../v25/errors/*.proto (error enums, GoogleAdsFailure, ErrorLocation);
 * - developers.google.com/google-ads/api/reference/rpc/v26/* ("latest active version is v26").
 * REST JSON uses the proto3 JSON mapping: camelCase keys, enums as their names, int64 as strings.
 */

/** Latest active Google Ads API version (doc banners, 2026-11). The protos read were v25; v26 keeps the same upload shapes. */
export const GOOGLE_ADS_API_VERSION = 'v26';
export const GOOGLE_ADS_API_ORIGIN = 'https://googleads.googleapis.com';
/** Google's OAuth 2.0 token endpoint (refresh-token grant). */
export const GOOGLE_OAUTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_ADS_OAUTH_SCOPE = 'https://www.googleapis.com/auth/adwords';

/** UploadClickConversions accepts at most 2,000 conversions (TOO_MANY_CONVERSIONS_IN_REQUEST), adjustments the same. */
export const MAX_ITEMS_PER_REQUEST = 2000;
/** ClickConversion.user_identifiers: "The maximum number of user identifiers for each conversion is 5." */
export const MAX_USER_IDENTIFIERS = 5;

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
/** TOO_RECENT_EVENT: "The click … occurred less than 6 hours ago. Retry after 6 hours have passed." */
export const CLICK_MIN_AGE_MS = 6 * HOUR_MS;
/** TOO_RECENT_CONVERSION_ACTION: "Try importing again in 6 hours." */
export const NEW_CONVERSION_ACTION_WAIT_MS = 6 * HOUR_MS;
/** TOO_RECENT_CONVERSION (adjustments): "Try adjusting a conversion that occurred at least 24 hours ago." */
export const ADJUSTMENT_MIN_CONVERSION_AGE_MS = 24 * HOUR_MS;
/** CONVERSION_EXPIRED: "Adjustment can't be made to a conversion that occurred more than 54 days ago." */
export const ADJUSTMENT_MAX_CONVERSION_AGE_S = 54 * DAY_S;
/**
 * Oldest click a conversion can still be attributed to. A conversion action's click-through window
 * is at most 90 days (UNCONFIRMED in an official source: EXPIRED_EVENT only says "before this
 * conversion's click-through window"). The conversion happens after its click, so a conversion
 * older than this has an older click and cannot be accepted.
 */
export const CLICK_THROUGH_WINDOW_MAX_S = 90 * DAY_S;

export const uploadClickConversionsPath = (customerId: string): string =>
  `/${GOOGLE_ADS_API_VERSION}/customers/${customerId}:uploadClickConversions`;
export const uploadConversionAdjustmentsPath = (customerId: string): string =>
  `/${GOOGLE_ADS_API_VERSION}/customers/${customerId}:uploadConversionAdjustments`;
/** GoogleAdsService.Search (GAQL), used by the connection test. */
export const searchPath = (customerId: string): string => `/${GOOGLE_ADS_API_VERSION}/customers/${customerId}/googleAds:search`;

/** `customers/{customer_id}/conversionActions/{id}`; Google validates only the action id. */
export const conversionActionResourceName = (customerId: string, actionId: string): string =>
  `customers/${customerId}/conversionActions/${actionId}`;
export const CONVERSION_ACTION_RESOURCE = /^customers\/(\d+)\/conversionActions\/(\d+)$/;

// ---------------------------------------------------------------------------------------------
// Request shapes

export type ConsentStatus = 'GRANTED' | 'DENIED';

/** common.UserIdentifier: a oneof, so exactly one identifier per object. */
export type UserIdentifier =
  | { hashedEmail: string; userIdentifierSource?: 'FIRST_PARTY' }
  | { hashedPhoneNumber: string; userIdentifierSource?: 'FIRST_PARTY' };

export interface ClickConversion {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversionAction: string;
  /** "yyyy-mm-dd hh:mm:ss+|-hh:mm"; the time zone is required. */
  conversionDateTime: string;
  conversionValue?: number;
  currencyCode?: string;
  orderId?: string;
  userIdentifiers?: UserIdentifier[];
  /** Only ad_user_data: Consent.ad_personalization "can only be set for OfflineUserDataJobService and UserDataService". */
  consent?: { adUserData: ConsentStatus };
}

export type AdjustmentType = 'RETRACTION' | 'RESTATEMENT';

export interface ConversionAdjustment {
  orderId: string;
  conversionAction: string;
  adjustmentType: AdjustmentType;
  /** Must be after the conversion; same format as conversionDateTime. */
  adjustmentDateTime: string;
  /** Required for RESTATEMENT, forbidden for RETRACTION. The value after the adjustment, not the delta. */
  restatementValue?: { adjustedValue: number; currencyCode?: string };
}

export interface UploadClickConversionsRequest {
  conversions: ClickConversion[];
  /** Required and always true for uploads (PARTIAL_FAILURE_MODE_REQUIRED otherwise). */
  partialFailure: true;
  validateOnly?: boolean;
}

export interface UploadConversionAdjustmentsRequest {
  conversionAdjustments: ConversionAdjustment[];
  partialFailure: true;
  validateOnly?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Response shapes

/** ErrorCode is a oneof: exactly one key, e.g. `{ "conversionUploadError": "TOO_RECENT_EVENT" }`. */
export type ErrorCode = Record<string, string>;

export interface FieldPathElement {
  /** Proto field name, e.g. "conversions" or "conversion_adjustments". */
  fieldName: string;
  index?: number;
}

export interface GoogleAdsError {
  errorCode: ErrorCode;
  message: string;
  trigger?: Record<string, unknown>;
  location?: { fieldPathElements: FieldPathElement[] };
  details?: { quotaErrorDetails?: { rateScope?: string; rateName?: string; retryDelay?: string } } & Record<string, unknown>;
}

export interface GoogleAdsFailure {
  '@type': string;
  errors: GoogleAdsError[];
  requestId?: string;
}

/** google.rpc.Status, as returned in `partialFailureError` and inside `error`. */
export interface RpcStatus {
  code: number;
  message: string;
  details?: Array<GoogleAdsFailure | Record<string, unknown>>;
}

export interface UploadResponse {
  partialFailureError?: RpcStatus;
  /** One entry per row, `{}` for failed rows; absent when validateOnly. */
  results?: Array<Record<string, unknown>>;
  jobId?: string;
}

/** The one GAQL query the connection test runs. */
export const CUSTOMER_CHECK_QUERY =
  'SELECT customer.id, customer.descriptive_name, customer.conversion_tracking_setting.accepted_customer_data_terms, ' +
  'customer.conversion_tracking_setting.enhanced_conversions_for_leads_enabled FROM customer LIMIT 1';

export interface CustomerRow {
  customer?: {
    resourceName?: string;
    id?: string;
    descriptiveName?: string;
    conversionTrackingSetting?: { acceptedCustomerDataTerms?: boolean; enhancedConversionsForLeadsEnabled?: boolean };
  };
}
