/**
 * Hashing of identifiers passed to `track()`. Normalization follows docs/CONTRACT.md and the
 * PHP Hasher rule for rule (docs/identity-vectors.json holds the vectors all three
 * implementations test): a hash made here must equal the server's for the same person.
 */
import { warn } from './log';
import type { Identity, TrackProps } from './types';

/** Identity keys that travel hashed: the contract's keys and its platform variants. */
export type HashedKey = 'em' | 'em_google' | 'em_reddit' | 'ph' | 'ph_e164' | 'fn' | 'ln' | 'ge' | 'db' | 'ct' | 'st' | 'zp' | 'country' | 'external_id';

/** Variants (docs/CONTRACT.md, relay/src/contract/event.ts): a second hash of the same input, normalized one platform's way. */
const VARIANTS: readonly string[] = ['em_google', 'em_reddit', 'ph_e164'];

/** `track()` prop carrying the raw value → identity key (a prop may feed several keys). */
export const PII_PROPS: ReadonlyArray<[string, HashedKey]> = [
  ['email', 'em'],
  ['email', 'em_google'],
  ['email', 'em_reddit'],
  ['phone', 'ph'],
  ['phone', 'ph_e164'],
  ['first_name', 'fn'],
  ['last_name', 'ln'],
  ['gender', 'ge'],
  ['date_of_birth', 'db'],
  ['city', 'ct'],
  ['state', 'st'],
  ['zip', 'zp'],
  ['country', 'country'],
  ['external_id', 'external_id'],
];

export interface NormalizeOptions {
  /** Digits of the store's calling code ("1", "44"), prefixed to national phone numbers. */
  callingCode?: string | undefined;
  /** ISO 3166-1 alpha-2 country of the address: US zip codes keep 5 characters. */
  country?: string | undefined;
}

const lettersAndDigits = (v: string): string => v.toLowerCase().replace(/[^\p{L}\p{M}\p{N}]+/gu, '');

/**
 * E.164 digits without "+". "+…" and "00…" are international (a "(0)" trunk hint as in
 * "+44 (0)20…" is dropped); anything else is national: leading zeros go and the store's calling
 * code is prefixed. No library: a phone-number database would outweigh the whole tracker.
 */
function normalizePhone(value: string, callingCode = ''): string {
  const raw = value.replace(/\(0\)/g, '');
  const digits = raw.replace(/\D+/g, '');
  let number: string;
  if (raw.charAt(0) === '+') number = digits.replace(/^0+/, '');
  else if (digits.slice(0, 2) === '00') number = digits.slice(2).replace(/^0+/, '');
  else {
    const national = digits.replace(/^0+/, '');
    const code = callingCode.replace(/\D+/g, '');
    if (!national || !code) return '';
    number = code + national;
  }
  return number.length >= 7 && number.length <= 15 ? number : '';
}

/** YYYYMMDD from a year-first date (1997-02-16, 1997/2/16, 19970216); '' when invalid. */
function normalizeBirthDate(value: string): string {
  const m = /^(\d{4})[-/. ]?(\d{1,2})[-/. ]?(\d{1,2})$/.exec(value);
  if (!m) return '';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return '';
  return `${m[1]}${String(mo).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}

/** The normalized value to hash for `key`; '' means "not usable, do not send". */
export function normalize(key: HashedKey, raw: string, opts: NormalizeOptions = {}): string {
  const value = raw.trim();
  if (!value) return '';
  switch (key) {
    case 'em': {
      const v = value.toLowerCase();
      return v.indexOf('@') >= 0 ? v : '';
    }
    case 'em_google':
    case 'em_reddit': {
      // Google: dots and "+tag" go from the local part of gmail.com / googlemail.com only; Reddit: from every domain.
      const v = normalize('em', value);
      const at = v.lastIndexOf('@');
      if (key === 'em_google' && !/^(gmail|googlemail)\.com$/.test(v.slice(at + 1))) return v;
      const local = v.slice(0, at).replace(/\+.*$/, '').replace(/\./g, '');
      return local ? local + v.slice(at) : '';
    }
    case 'ph':
      return normalizePhone(value, opts.callingCode);
    case 'ph_e164': {
      const v = normalizePhone(value, opts.callingCode);
      return v && '+' + v;
    }
    case 'fn':
    case 'ln':
    case 'ct':
    case 'st':
      return lettersAndDigits(value);
    case 'zp': {
      const v = value.toLowerCase().replace(/[\s-]+/g, '');
      return (opts.country ?? '').trim().toLowerCase() === 'us' ? v.slice(0, 5) : v;
    }
    case 'country': {
      const v = value.toLowerCase();
      return /^[a-z]{2}$/.test(v) ? v : '';
    }
    case 'ge': {
      const v = value.charAt(0).toLowerCase();
      return v === 'f' || v === 'm' ? v : '';
    }
    case 'db':
      return normalizeBirthDate(value);
    case 'external_id':
      return value;
  }
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `s`, through SubtleCrypto. */
export async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return Array.from(new Uint8Array(digest), (x) => (x + 0x100).toString(16).slice(1)).join('');
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * Builds the hashed identity from `props`. Raw values are only read here; the event never
 * carries them. Identity keys (`em`, `ph`…) given directly must already be SHA-256 digests.
 * Without SubtleCrypto (plain-HTTP pages) identifiers are dropped: raw PII never leaves the browser.
 */
export async function hashIdentity(props: TrackProps, callingCode?: string): Promise<Identity> {
  const identity: Partial<Record<HashedKey, string>> = {};
  const country = typeof props.country === 'string' ? props.country : undefined;
  const subtle = typeof crypto !== 'undefined' && crypto.subtle;
  for (const [prop, key] of PII_PROPS) {
    // `country` and `external_id` share their prop name with their key: those are raw values.
    const pre = key === prop ? undefined : props[key];
    if (pre !== undefined) {
      if (typeof pre === 'string' && SHA256_HEX.test(pre.toLowerCase())) identity[key] = pre.toLowerCase();
      else warn(`"${key}" must be a SHA-256 hex digest (pass the raw value as "${prop}"): ignored.`);
    }
    const raw = props[prop];
    if (raw === undefined || raw === null || raw === '') continue;
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      warn(`"${prop}" must be a string: ignored.`);
      continue;
    }
    const normalized = normalize(key, String(raw), { callingCode, country });
    if (!normalized) {
      if (VARIANTS.includes(key)) continue; // the base key already warned
      warn(
        key === 'ph' && !callingCode
          ? '"phone" needs +<country code> or LayerSyncConfig.default_calling_code: ignored.'
          : `"${prop}" does not look valid: ignored.`,
      );
    } else if (!subtle) {
      if (!VARIANTS.includes(key)) warn(`"${prop}" ignored: hashing needs a secure (HTTPS) page.`);
    } else {
      identity[key] = await sha256Hex(normalized);
    }
  }
  return identity;
}
