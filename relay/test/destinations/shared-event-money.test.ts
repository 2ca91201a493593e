import { describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../../src/contract/event.js';
import {
  hashedIdentityLists,
  isWebsiteVisit,
  itemCount,
  nonEmpty,
  refuse,
  restrictsProcessing,
  skip,
  skipWithoutLimitedDataUse,
} from '../../src/destinations/shared/event.js';
import { currencyFractionDigits, formatMoney } from '../../src/destinations/shared/money.js';

const EM = '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f';
const PH = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176';
const UA = 'Mozilla/5.0 (X11; Linux x86_64)';

function event(overrides: Partial<CanonicalEventInput> = {}): CanonicalEvent {
  return canonicalEventSchema.parse({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'purchase',
    event_time: 1_795_400_000,
    source: 'webhook',
    context: {},
    ...overrides,
  });
}

describe('nonEmpty, refuse and skip', () => {
  it('treats absent and all-whitespace values as missing', () => {
    expect(nonEmpty(undefined)).toBeUndefined();
    expect(nonEmpty('')).toBeUndefined();
    expect(nonEmpty(' \t')).toBeUndefined();
    expect(nonEmpty(' x ')).toBe(' x ');
  });

  it('refuse is an error, skip is not', () => {
    expect(refuse('too old')).toEqual({ ok: false, skip: false, reason: 'too old' });
    expect(skip('no rule')).toEqual({ ok: false, skip: true, reason: 'no rule' });
  });
});

describe('hashedIdentityLists', () => {
  it('wraps each present hash in a list, in the order of the keys asked for', () => {
    const lists = hashedIdentityLists(event({ identity: { ph: PH, em: EM } }).identity, ['em', 'ph', 'fn'] as const);
    expect(lists).toEqual({ em: [EM], ph: [PH] });
    expect(Object.keys(lists)).toEqual(['em', 'ph']);
    expect(hashedIdentityLists(event().identity, ['em'] as const)).toEqual({});
  });
});

describe('isWebsiteVisit', () => {
  it('storefront sources are website visits', () => {
    expect(isWebsiteVisit(event({ source: 'browser' }))).toBe(true);
    expect(isWebsiteVisit(event({ source: 'server' }))).toBe(true);
  });

  it('other sources need both the page URL and the user agent', () => {
    expect(isWebsiteVisit(event({ context: { url: 'https://shop.example/', user_agent: UA } }))).toBe(true);
    expect(isWebsiteVisit(event({ source: 'sdk', context: { url: 'https://shop.example/', user_agent: UA } }))).toBe(true);
    expect(isWebsiteVisit(event({ context: { url: 'https://shop.example/' } }))).toBe(false);
    expect(isWebsiteVisit(event({ context: { url: 'https://shop.example/', user_agent: '  ' } }))).toBe(false);
    expect(isWebsiteVisit(event())).toBe(false);
  });
});

describe('restrictsProcessing and skipWithoutLimitedDataUse', () => {
  const optedOut = event({
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true },
  });

  it('the site policy or the visitor choice restricts processing', () => {
    expect(restrictsProcessing(event(), undefined)).toBe(false);
    expect(restrictsProcessing(event(), { limitedDataUse: false })).toBe(false);
    expect(restrictsProcessing(event(), { limitedDataUse: true })).toBe(true);
    expect(restrictsProcessing(optedOut, undefined)).toBe(true);
  });

  it('a platform without limited data use skips the event, saying whose choice it was', () => {
    expect(skipWithoutLimitedDataUse(event(), undefined, 'X')).toBeUndefined();
    expect(skipWithoutLimitedDataUse(optedOut, { limitedDataUse: true }, 'LinkedIn')).toEqual(
      skip('The visitor opted out of the sale/sharing of their data and LinkedIn offers no limited-data-use mode, so the event is not sent to LinkedIn.'),
    );
    expect(skipWithoutLimitedDataUse(event(), { limitedDataUse: true }, 'X')).toEqual(
      skip('The site restricts data processing (limited data use) and X offers no limited-data-use mode, so the event is not sent to X.'),
    );
  });
});

describe('itemCount', () => {
  it('adds quantities, one for an item without', () => {
    expect(itemCount([])).toBe(0);
    expect(itemCount([{ id: 'a', quantity: 2 }, { id: 'b' }, { id: 'c', quantity: 5 }])).toBe(8);
  });
});

describe('money', () => {
  it('currencyFractionDigits follows ISO 4217 minor units, else 2', () => {
    expect(currencyFractionDigits('EUR')).toBe(2);
    expect(currencyFractionDigits('JPY')).toBe(0);
    expect(currencyFractionDigits('KWD')).toBe(3);
    expect(currencyFractionDigits(undefined)).toBe(2);
    expect(currencyFractionDigits('not a code')).toBe(2);
  });

  it('both roundings agree on ordinary amounts and never show float noise', () => {
    for (const rounding of ['decimal', 'scaled'] as const) {
      expect(formatMoney(59.9, 'EUR', rounding)).toBe('59.90');
      expect(formatMoney(0.1 + 0.2, 'USD', rounding)).toBe('0.30');
      expect(formatMoney(1500, 'JPY', rounding)).toBe('1500');
      expect(formatMoney(12.5, 'KWD', rounding)).toBe('12.500');
      expect(formatMoney(12, undefined, rounding)).toBe('12.00');
    }
  });

  it("'decimal' rounds the decimal form half away from zero and never uses exponents (Pinterest)", () => {
    expect(formatMoney(1.005, 'USD', 'decimal')).toBe('1.01');
    expect(formatMoney(0.145, 'USD', 'decimal')).toBe('0.15');
    expect(formatMoney(-0.125, 'USD', 'decimal')).toBe('-0.13');
    expect(formatMoney(1e21, 'USD', 'decimal')).toBe('1000000000000000000000.00');
  });

  it("'scaled' rounds the scaled binary value half toward +∞ (LinkedIn)", () => {
    expect(formatMoney(1.005, 'USD', 'scaled')).toBe('1.00');
    expect(formatMoney(0.145, 'USD', 'scaled')).toBe('0.14');
    expect(formatMoney(-0.125, 'USD', 'scaled')).toBe('-0.12');
  });
});
