/**
 * First-party identifiers attached to events' identity, only while consent allows: ad ids with
 * ad_storage, the GA client and session ids with analytics_storage.
 *
 * - `_fbp`: read, or created in Meta's format `fb.<subdomainIndex>.<ms>.<random 31-bit>` (90 days).
 * - `_fbc`: `fb.<subdomainIndex>.<ms>.<fbclid>` from a landing URL's fbclid (case kept), written
 *   only when absent or when its fbclid differs from the URL's (90 days; Meta's rules, notes §1.4).
 * - Click ids from landing URLs, kept in localStorage for their platform's lifetime (CLICK_IDS).
 * - Cookies the platforms' own tags set are read when present: `_ttp`, `_epik`, `_rdt_uuid`,
 *   `_scid`, `_twclid`, `li_fat_id`, `_gcl_aw`; `_ga` → ga_client_id, `_ga_<stream>` → ga_session_id.
 *
 * Revoking ad_storage deletes what this module stored (`layersync:cid`, `_fbp`, `_fbc`).
 */
import { granted } from './consent';
import { parse } from './lock';
import type { Consent, Identity } from './types';

const DAY = 864e5;

/**
 * URL parameter → identity key and lifetime in days (README "First-party identifiers"): Google
 * click ids 90 (the _gcl_* cookies), TikTok 395 (13 months, TikTok's cookie lifetime), Pinterest
 * 365 (_epik), Snapchat 395 (13 months, the Snap Pixel's cookies), Reddit 90 (_rdt_* cookies),
 * X 30, LinkedIn 30 (li_fat_id cookie).
 */
export const CLICK_IDS: ReadonlyArray<[param: string, key: keyof Identity, days: number]> = 'gclid:90 gbraid:90 wbraid:90 ttclid:395 epik:365 ScCid:395 rdt_cid:90 twclid:30 li_fat_id:30'
  .split(' ')
  .map((s) => {
    const [param, days] = s.split(':') as [string, string];
    return [param, (param === 'ScCid' ? 'scid' : param) as keyof Identity, +days];
  });

/** Platform cookies read as they are; the identity key is the name without its leading "_". */
const COOKIES = ['_ttp', '_epik', '_rdt_uuid', '_twclid', 'li_fat_id'];

/** Identity keys that need ad_storage, and those that need analytics_storage. */
export const AD_KEYS: ReadonlyArray<keyof Identity> = ['fbp', 'fbc', 'ttp', 'rdt_uuid', ...CLICK_IDS.map(([, key]) => key)];
export const GA_KEYS: ReadonlyArray<keyof Identity> = ['ga_client_id', 'ga_session_id'];

export const CLICK_KEY = 'layersync:cid';
const META_DAYS = 90;

type Stored = Partial<Record<keyof Identity, [value: string, expiresMs: number]>>;

export interface Ids {
  /** Identifiers consent allows now. */
  get(consent: Consent): Identity;
  /** Captures (granted) or forgets (revoked) according to the new consent. */
  update(consent: Consent): void;
}

/**
 * All cookies the page sees, read once: every `document.cookie` read is a synchronous round trip
 * to the browser's cookie store, so a page view reads it once per event, not once per cookie.
 */
export function cookieJar(doc: Document): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const part of doc.cookie.split(/; ?/)) {
    const i = part.indexOf('=');
    try {
      if (i > 0) jar[part.slice(0, i)] = decodeURIComponent(part.slice(i + 1));
    } catch {
      // a cookie someone else encoded badly: not ours to read
    }
  }
  return jar;
}

export const readCookie = (doc: Document, name: string): string | undefined => cookieJar(doc)[name];

export function createIds(win: Window, opts: { fbp?: boolean; ga?: string | undefined; domain?: string | undefined } = {}): Ids {
  const doc = win.document;
  const params = new URLSearchParams(win.location.search);
  // Meta's subdomainIndex is the label count of the cookie's domain minus one (example.com = 1,
  // www.example.com = 2): the configured cookie domain, else the page's host (host-only cookies).
  const domain = opts.domain;
  const index = (domain || win.location.hostname).replace(/^\./, '').split('.').length - 1;

  const storage = (): Storage | undefined => {
    try {
      return win.localStorage;
    } catch {
      return undefined;
    }
  };
  const load = (): Stored => {
    const s = storage();
    return parse<Stored>(s && s.getItem(CLICK_KEY), {});
  };
  const write = (name: string, value: string, days: number): void => {
    doc.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${Math.round(days * 86400) || -1}${domain ? '; domain=' + domain : ''}; SameSite=Lax`;
  };

  const update = (c: Consent): void => {
    const s = storage();
    const jar = cookieJar(doc);
    if (!granted(c, 'ad_storage')) {
      // Forget what we stored; cookies other tags set are theirs to manage.
      if (s && s.getItem(CLICK_KEY) !== null) s.removeItem(CLICK_KEY);
      for (const name of ['_fbp', '_fbc']) if (jar[name]) write(name, '', 0);
      return;
    }
    const now = Date.now();
    if (opts.fbp !== false && !jar._fbp) write('_fbp', `fb.${index}.${now}.${Math.floor(Math.random() * 2147483647)}`, META_DAYS);
    const fbclid = params.get('fbclid');
    const fbc = jar._fbc;
    if (fbclid && (!fbc || fbc.split('.').slice(3).join('.') !== fbclid)) write('_fbc', `fb.${index}.${now}.${fbclid}`, META_DAYS);
    const stored = load();
    let changed = false;
    for (const [param, key, days] of CLICK_IDS) {
      const v = params.get(param);
      if (v && v.length <= 512) {
        stored[key] = [v, now + days * DAY];
        changed = true;
      }
    }
    if (changed && s) {
      try {
        s.setItem(CLICK_KEY, JSON.stringify(stored));
      } catch {
        // storage full or blocked: the ids still ride on this page's events below
      }
    }
  };

  const get = (c: Consent): Identity => {
    const id: Identity = {};
    const jar = cookieJar(doc);
    const put = (key: keyof Identity, v: string | undefined): void => {
      if (v && v.length <= 512 && !id[key]) id[key] = v;
    };
    if (granted(c, 'ad_storage')) {
      put('fbp', jar._fbp);
      put('fbc', jar._fbc);
      const stored = load();
      for (const [param, key] of CLICK_IDS) {
        const s = stored[key];
        put(key, params.get(param) || (s && s[1] > Date.now() ? s[0] : undefined));
      }
      for (const cookie of COOKIES) put(cookie.replace(/^_/, '') as keyof Identity, jar[cookie]);
      // GCL.<ts>.<gclid>: what Google's own tag kept.
      put('gclid', (jar._gcl_aw || '').split('.').slice(2).join('.'));
    }
    if (granted(c, 'analytics_storage')) {
      const ga = /(\d+\.\d+)$/.exec(jar._ga || '');
      put('ga_client_id', ga ? ga[1] : undefined);
      const name = opts.ga ? '_ga_' + opts.ga.replace(/^G-/, '') : Object.keys(jar).filter((k) => /^_ga_/.test(k))[0];
      // GS1.1.<session>.… or GS2.1.s<session>$o…
      const session = /^GS\d\.\d\.s?(\d+)/.exec((name && jar[name]) || '');
      put('ga_session_id', session ? session[1] : undefined);
    }
    return id;
  };

  return { get, update };
}
