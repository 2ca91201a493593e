/**
 * Identity normalization and hashing for Node (the SDK), following docs/CONTRACT.md — the same
 * rules as the PHP Hasher and the tracker, checked against docs/identity-vectors.json by all
 * three test suites. Raw values never leave the process: only the hashes do.
 */
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export const HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'] as const;
export type HashedKey = (typeof HASHED_KEYS)[number];

/**
 * Platform variants: a second hash of the same input, normalized the way one platform wants it
 * (docs/CONTRACT.md). Senders compute them next to the base key; the relay never sees raw values.
 */
export const VARIANT_KEYS = ['em_google', 'em_reddit', 'ph_e164'] as const;
export type VariantKey = (typeof VARIANT_KEYS)[number];
export type IdentityKey = HashedKey | VariantKey;

/** Which base key each variant is derived from. */
export const VARIANT_BASE: Record<VariantKey, HashedKey> = { em_google: 'em', em_reddit: 'em', ph_e164: 'ph' };

const GOOGLE_MAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/** `a.b+tag@x` → `ab@x`; '' when the local part ends up empty. Input already normalized as em. */
function stripDotsAndTag(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at).replace(/\+.*$/, '').replace(/\./g, '');
  return local === '' ? '' : `${local}${email.slice(at)}`;
}

export interface NormalizeOptions {
  /** Region for national phone numbers, e.g. the store's country ("US", "DE"). */
  defaultCountry?: string;
  /** The address country, used where a rule depends on it (US zip codes). */
  country?: string;
}

const lettersAndDigits = (v: string) => v.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}]/gu, '');

function normalizePhone(raw: string, defaultCountry?: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') return '';
  const international = trimmed.startsWith('+') ? trimmed : trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : undefined;
  // libphonenumber knows each country's trunk prefixes and lengths; use it whenever it can parse.
  const parsed = international
    ? parsePhoneNumberFromString(international)
    : defaultCountry
      ? parsePhoneNumberFromString(trimmed, defaultCountry.toUpperCase() as CountryCode)
      : undefined;
  if (parsed) return parsed.number.replace(/^\+/, '');
  const digits = (international ?? trimmed).replace(/\D/g, '').replace(/^0+/, '');
  return digits;
}

function normalizeDate(raw: string): string {
  const v = raw.trim();
  let m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v);
  if (m) return `${m[1]}${m[2]}${m[3]}`;
  // US order as Meta's docs show it: M/D/YYYY.
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (m) return `${m[3]}${m[1]!.padStart(2, '0')}${m[2]!.padStart(2, '0')}`;
  return '';
}

/** The normalized (not yet hashed) value, or '' when there is nothing valid to send. */
export function normalizeIdentity(key: IdentityKey, raw: string, opts: NormalizeOptions = {}): string {
  switch (key) {
    case 'em': {
      const v = raw.trim().toLowerCase();
      return v.includes('@') ? v : '';
    }
    case 'em_google': {
      const v = normalizeIdentity('em', raw, opts);
      if (v === '') return '';
      return GOOGLE_MAIL_DOMAINS.has(v.slice(v.lastIndexOf('@') + 1)) ? stripDotsAndTag(v) : v;
    }
    case 'em_reddit': {
      const v = normalizeIdentity('em', raw, opts);
      return v === '' ? '' : stripDotsAndTag(v);
    }
    case 'ph_e164': {
      const v = normalizePhone(raw, opts.defaultCountry);
      return v === '' ? '' : `+${v}`;
    }
    case 'ph':
      return normalizePhone(raw, opts.defaultCountry);
    case 'fn':
    case 'ln':
    case 'ct':
    case 'st':
      return lettersAndDigits(raw);
    case 'zp': {
      const v = raw.trim().toLowerCase().replace(/[\s-]/g, '');
      if ((opts.country ?? '').toLowerCase() === 'us') {
        const m = /^(\d{5})/.exec(v);
        return m ? m[1]! : v;
      }
      return v;
    }
    case 'country': {
      const v = raw.trim().toLowerCase();
      return /^[a-z]{2}$/.test(v) ? v : '';
    }
    case 'ge': {
      const v = raw.trim().toLowerCase().charAt(0);
      return v === 'f' || v === 'm' ? v : '';
    }
    case 'db':
      return normalizeDate(raw);
    case 'external_id':
      return raw.trim();
  }
}

export const sha256Hex = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');

/** Normalizes and hashes; undefined when the value normalizes to nothing. */
export function hashIdentity(key: IdentityKey, raw: string, opts: NormalizeOptions = {}): string | undefined {
  const n = normalizeIdentity(key, raw, opts);
  return n === '' ? undefined : sha256Hex(n);
}
