/**
 * Consent sources besides `setConsent()`: Google Consent Mode v2, IAB TCF v2.2, the WP Consent
 * API, and the documented JavaScript globals and events of Cookiebot, CookieYes, OneTrust,
 * Borlabs Cookie and Complianz. Each adapter is a few lines that only do something once its CMP
 * shows up (a global exists, or one of its events fires); globals are read again on `load` for
 * CMPs that load after the tracker.
 *
 * Category CMPs map "marketing/advertisement" (OneTrust C0004) to ad_storage, ad_user_data and
 * ad_personalization, and "statistics/analytics" (OneTrust C0002) to analytics_storage.
 * TCF: ad_storage = purpose 1, ad_user_data = purposes 1 + 7, ad_personalization = purposes
 * 3 + 4, analytics_storage = purposes 1 + 8; purpose *consent* only (not legitimate interest);
 * nothing changes while gdprApplies is false (the site default stays).
 */
import type { ConsentState, ConsentUpdate } from './consent';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const state = (b: unknown): 'granted' | 'denied' => (b ? 'granted' : 'denied');

/** A category CMP's answer: `ads` for the three ad signals, `stats` for analytics (undefined = not said). */
export function categories(ads: unknown, stats?: unknown): ConsentUpdate {
  const u: ConsentUpdate = {};
  if (ads !== undefined) u.ad_storage = u.ad_user_data = u.ad_personalization = state(ads);
  if (stats !== undefined) u.analytics_storage = state(stats);
  return u;
}

export function watchConsentSources(win: Window, consent: ConsentState): void {
  const w = win as unknown as Bag;
  const doc = win.document;
  const set = (u: ConsentUpdate): void => consent.set(u, true);
  const on = (target: EventTarget, types: string, fn: (detail: Bag) => void): void => {
    for (const type of types.split(' ')) target.addEventListener(type, (e) => fn((e as CustomEvent).detail || {}));
  };
  /** A CMP function by its global name, or undefined. */
  const f = (name: string): ((...a: unknown[]) => Bag) | undefined => (typeof w[name] === 'function' ? w[name] : undefined);
  /** A CMP "has consent for category" function applied to marketing and statistics. */
  const has = (check: ((c: string) => unknown) | undefined): void | false => !!check && set(categories(check('marketing'), check('statistics')));

  // Google Consent Mode v2: gtag('consent', 'default' | 'update', {...}) lands in dataLayer as an
  // arguments object; entries are applied in order (a CMP pushes its default before updates).
  const dl: Bag[] = (w.dataLayer = w.dataLayer || []);
  let seen = 0;
  const scan = (): void => {
    for (; seen < dl.length; seen++) {
      const e = dl[seen];
      if (e && e[0] === 'consent' && (e[1] === 'default' || e[1] === 'update')) set(e[2]);
    }
  };
  const push = dl.push;
  // Wrapped once; a tag manager that later wraps push again still ends in this one.
  dl.push = function (this: unknown, ...items: Bag[]) {
    const r = push.apply(this, items);
    scan();
    return r;
  };
  scan();

  let tcf = false;
  const p = (d: Bag, n: number): boolean => !!(d.purpose && d.purpose.consents && d.purpose.consents[n]);
  const cookiebot = (): void => {
    const c = w.Cookiebot;
    if (c && c.consent && c.hasResponse) set(categories(c.consent.marketing, c.consent.statistics));
  };
  const cookieyes = (d: Bag): void => {
    if (d.categories && d.isUserActionCompleted) set(categories(d.categories.advertisement, d.categories.analytics));
  };
  const onetrust = (groups: string): void => set(categories(/\bC0004\b/.test(groups), /\bC0002\b/.test(groups)));
  const borlabs = (): void => {
    const c = w.BorlabsCookie && w.BorlabsCookie.Consents;
    // Borlabs Cookie 3: service groups where that function exists, else a service named "layersync".
    if (c) has((g) => (c.hasConsentForServiceGroup ? c.hasConsentForServiceGroup(g) : c.hasConsent('layersync')));
  };

  const read = (): void => {
    const tcfapi = f('__tcfapi');
    if (tcfapi && !tcf) {
      tcf = true;
      tcfapi('addEventListener', 2, (d: Bag, ok: boolean) => {
        if (ok && d && d.gdprApplies !== false && (d.eventStatus === 'tcloaded' || d.eventStatus === 'useractioncomplete')) {
          set({
            ad_storage: state(p(d, 1)),
            ad_user_data: state(p(d, 1) && p(d, 7)),
            ad_personalization: state(p(d, 3) && p(d, 4)),
            analytics_storage: state(p(d, 1) && p(d, 8)),
          });
        }
      });
    }
    has(f('wp_has_consent')); // WP Consent API
    has(f('cmplz_has_consent')); // Complianz
    cookiebot();
    const cky = f('getCkyConsent');
    if (cky) cookieyes(cky());
    if (typeof w.OnetrustActiveGroups === 'string') onetrust(w.OnetrustActiveGroups);
    borlabs();
  };

  const allow = (v: unknown): boolean | undefined => (v === undefined ? undefined : v === 'allow');
  on(doc, 'wp_listen_for_consent_change', (d) => set(categories(allow(d.marketing), allow(d.statistics))));
  on(doc, 'cmplz_status_change', (d) => set(categories(d.category === 'marketing' ? allow(d.value) : undefined, d.category === 'statistics' ? allow(d.value) : undefined)));
  on(win, 'CookiebotOnConsentReady CookiebotOnAccept CookiebotOnDecline', cookiebot);
  on(doc, 'cookieyes_banner_load', cookieyes);
  on(doc, 'cookieyes_consent_update', (d) => d.accepted && set(categories(d.accepted.includes('advertisement'), d.accepted.includes('analytics'))));
  on(win, 'OneTrustGroupsUpdated', (d) => onetrust(Array.isArray(d) ? d.join() : String(w.OnetrustActiveGroups)));
  on(win, 'borlabs-cookie-consent-saved borlabs-cookie-after-init', borlabs);
  on(doc, 'borlabs-cookie-consent-saved borlabs-cookie-after-init', borlabs);

  read();
  win.addEventListener('load', read);
}
