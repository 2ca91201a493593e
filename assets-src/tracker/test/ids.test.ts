/** First-party identifiers: Meta's _fbp/_fbc rules, click ids and their lifetimes, GA ids, consent gating. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLICK_IDS, CLICK_KEY, createIds, readCookie } from '../src/ids';
import type { Consent } from '../src/types';
import { clearCookies } from './helpers';

const GRANTED: Consent = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: false };
const DENIED: Consent = { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false };
const DAY = 86400_000;

const land = (query: string): void => history.replaceState(null, '', '/landing' + query);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-03-01T12:00:00Z'));
  localStorage.clear();
  clearCookies();
});
afterEach(() => {
  vi.useRealTimers();
  land('?ref=ad');
});

describe('_fbp and _fbc (Meta, notes §1.4)', () => {
  it('creates _fbp in Meta format when absent and keeps an existing one', () => {
    land('');
    const ids = createIds(window);
    ids.update(GRANTED);
    const fbp = readCookie(document, '_fbp')!;
    expect(fbp).toMatch(/^fb\.1\.\d{13}\.\d{1,10}$/);
    expect(fbp.split('.')[2]).toBe(String(Date.now()));
    expect(Number(fbp.split('.')[3])).toBeLessThan(2 ** 31);
    vi.setSystemTime(Date.now() + DAY);
    createIds(window).update(GRANTED);
    expect(readCookie(document, '_fbp')).toBe(fbp);
    expect(ids.get(GRANTED).fbp).toBe(fbp);
  });

  it('sets the cookies on the configured domain, and can be told not to create _fbp', () => {
    const set = vi.spyOn(document, 'cookie', 'set');
    createIds(window, { domain: '.shop.example' }).update(GRANTED);
    expect(set.mock.calls.map(([c]) => c)).toEqual([expect.stringMatching(/^_fbp=fb\.1\.\d{13}\.\d+; path=\/; max-age=7776000; domain=\.shop\.example; SameSite=Lax$/)]);
    set.mockRestore();
    clearCookies();
    createIds(window, { fbp: false }).update(GRANTED);
    expect(readCookie(document, '_fbp')).toBeFalsy();
  });

  it('builds _fbc from fbclid with its case kept and the creation time in ms; rewrites it only for a different fbclid', () => {
    land('?fbclid=AbCdEf_123');
    createIds(window).update(GRANTED);
    const first = readCookie(document, '_fbc');
    expect(first).toBe(`fb.1.${Date.now()}.AbCdEf_123`);
    vi.setSystemTime(Date.now() + 60_000);
    createIds(window).update(GRANTED); // same fbclid (a reload): unchanged
    expect(readCookie(document, '_fbc')).toBe(first);
    land('?fbclid=ZzZ9');
    createIds(window).update(GRANTED);
    expect(readCookie(document, '_fbc')).toBe(`fb.1.${Date.now()}.ZzZ9`);
  });
});

describe('click ids', () => {
  it('keeps each landing click id for its platform lifetime', () => {
    const query = CLICK_IDS.map(([param], i) => `${param}=v${i}`).join('&');
    land('?' + query);
    createIds(window).update(GRANTED);
    land('');
    const later = createIds(window);
    expect(later.get(GRANTED)).toMatchObject({ gclid: 'v0', gbraid: 'v1', wbraid: 'v2', ttclid: 'v3', epik: 'v4', scid: 'v5', rdt_cid: 'v6', twclid: 'v7', li_fat_id: 'v8' });
    for (const [, key, days] of CLICK_IDS) {
      vi.setSystemTime(new Date('2026-03-01T12:00:00Z').getTime() + days * DAY - 1000);
      expect(later.get(GRANTED)[key], `${key} on its last day`).toBeDefined();
      vi.setSystemTime(new Date('2026-03-01T12:00:00Z').getTime() + days * DAY + 1000);
      expect(later.get(GRANTED)[key], `${key} after ${days} days`).toBeUndefined();
    }
    expect(CLICK_IDS.map(([p, , d]) => [p, d])).toEqual([
      ['gclid', 90], ['gbraid', 90], ['wbraid', 90], ['ttclid', 395], ['epik', 365], ['ScCid', 395], ['rdt_cid', 90], ['twclid', 30], ['li_fat_id', 30],
    ]);
  });

  it('reads the platforms’ own cookies (_ttp, _epik, _rdt_uuid, _twclid, li_fat_id, _gcl_aw)', () => {
    land('');
    for (const c of ['_ttp=ttp1', '_epik=ep1', '_rdt_uuid=rd1', '_twclid=tw1', 'li_fat_id=li1', '_gcl_aw=GCL.1700000000.gc1']) document.cookie = `${c}; path=/`;
    expect(createIds(window).get(GRANTED)).toMatchObject({ ttp: 'ttp1', epik: 'ep1', rdt_uuid: 'rd1', twclid: 'tw1', li_fat_id: 'li1', gclid: 'gc1' });
  });

  it('neither stores nor attaches anything without ad_storage, and forgets on revocation', () => {
    land('?gclid=G1&fbclid=F1');
    const ids = createIds(window);
    ids.update(DENIED);
    expect(localStorage.getItem(CLICK_KEY)).toBeNull();
    expect(readCookie(document, '_fbp')).toBeFalsy();
    expect(ids.get(DENIED)).toEqual({});
    ids.update(GRANTED);
    expect(JSON.parse(localStorage.getItem(CLICK_KEY)!).gclid[0]).toBe('G1');
    expect(readCookie(document, '_fbc')).toMatch(/\.F1$/);
    ids.update({ ...GRANTED, ad_storage: 'denied' });
    expect(localStorage.getItem(CLICK_KEY)).toBeNull();
    expect(readCookie(document, '_fbp')).toBeFalsy();
    expect(readCookie(document, '_fbc')).toBeFalsy();
  });
});

describe('GA client and session ids', () => {
  it('reads _ga and _ga_<stream> (GS1 and GS2 formats) with analytics_storage only', () => {
    land('');
    document.cookie = '_ga=GA1.1.1234567890.1700000000; path=/';
    document.cookie = '_ga_ABC123=GS1.1.1700000100.3.1.1700000200.0.0.0; path=/';
    expect(createIds(window, { ga: 'G-ABC123' }).get({ ...DENIED, analytics_storage: 'granted' })).toEqual({ ga_client_id: '1234567890.1700000000', ga_session_id: '1700000100' });
    document.cookie = '_ga_ABC123=GS2.1.s1700000300$o4$g1$t1700000400; path=/';
    expect(createIds(window).get(GRANTED).ga_session_id).toBe('1700000300'); // any _ga_ cookie without a configured id
    expect(createIds(window).get({ ...GRANTED, analytics_storage: 'denied' }).ga_client_id).toBeUndefined();
  });
});
