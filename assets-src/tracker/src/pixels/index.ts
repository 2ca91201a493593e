/**
 * The pixel chunk (tracker-pixels.js): loads each enabled platform's own tag from the platform's
 * CDN with the platform's documented bootstrap, and forwards LayerSync events with the same event
 * id the server copy carries, in each platform's dedup parameter:
 *
 * | platform | call | dedup parameter |
 * |---|---|---|
 * | Meta | `fbq('track', …, params, {eventID})` | eventID |
 * | Google tag | `gtag('event', …, {event_id, transaction_id})`; Ads `conversion` with transaction_id = order_id ?? event id | transaction_id / event_id |
 * | TikTok | `ttq.track(…, params, {event_id})` | event_id |
 * | Pinterest | `pintrk('track', …, {event_id})` | event_id |
 * | Snapchat | `snaptr('track', …, {client_dedup_id})` | client_dedup_id |
 * | LinkedIn | `lintrk('track', {conversion_id, event_id})` | event_id |
 * | Reddit | `rdt('track', …, {conversionId})` | conversionId |
 * | X | `twq('event', tag, {conversion_id})` | conversion_id |
 *
 * Advanced matching at init with hashed identifiers where the platform accepts hashes: Meta
 * (`fbq('init', id, {em, ph, …})`), Google (`gtag('set', 'user_data', …)` with em_google and
 * ph_e164), TikTok (`ttq.identify`), Pinterest (`em`), Snapchat (`user_hashed_email`,
 * `user_hashed_phone_number`), Reddit (em_reddit, ph_e164, external_id).
 */
import type { Consent, Identity, Item } from '../types';
import type { PixelEvent, Pixels, PixelsConfig, Platform } from './types';

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Adapter {
  load(identity: Identity): void;
  track(e: PixelEvent): void;
  consent?(ok: boolean): void;
}

const pick = <T extends object>(o: T): Partial<T> => {
  const out: Partial<T> = {};
  for (const k in o) if (o[k] !== undefined && o[k] !== '') out[k] = o[k];
  return out;
};

/** The canonical name without "custom:". */
const plain = (name: string): string => name.replace(/^custom:/, '');

export function createPixels(win: Window, config: PixelsConfig, consent: Consent, initial: Identity): Pixels {
  const w = win as unknown as Bag;
  const doc = win.document;
  const script = (src: string): void => {
    const s = doc.createElement('script');
    s.async = true;
    s.src = src;
    (doc.head || doc.documentElement).appendChild(s);
  };
  const items = (e: PixelEvent): Item[] => (e.commerce && e.commerce.items) || [];
  const value = (e: PixelEvent): Bag => pick({ value: e.commerce?.value, currency: e.commerce?.currency });
  const call = (name: string, ...args: unknown[]): void => (w[name] as Fn)(...args);

  const adapters: Partial<Record<Platform, Adapter>> = {
    meta: {
      load(identity) {
        if (!w.fbq) {
          const n: Bag = (w.fbq = function (...args: unknown[]) {
            if (n.callMethod) n.callMethod(...args);
            else n.queue.push(args);
          });
          if (!w._fbq) w._fbq = n;
          Object.assign(n, { push: n, loaded: true, version: '2.0', queue: [] });
          script('https://connect.facebook.net/en_US/fbevents.js');
        }
        const { em, ph, fn, ln, ge, db, ct, st, zp, country, external_id } = identity;
        call('fbq', 'init', config.meta!.id, pick({ em, ph, fn, ln, ge, db, ct, st, zp, country, external_id }));
      },
      track(e) {
        const std = META[e.event_name];
        const list = items(e);
        const params = pick({
          ...value(e),
          content_ids: list.length ? list.map((i) => i.id) : undefined,
          contents: list.length ? list.map((i) => pick({ id: i.id, quantity: i.quantity, item_price: i.price })) : undefined,
          content_type: list.length ? 'product' : undefined,
          num_items: list.length ? list.reduce((n, i) => n + (i.quantity || 1), 0) : undefined,
          order_id: e.commerce?.order_id,
          search_string: e.properties?.search_term,
        });
        call('fbq', std ? 'track' : 'trackCustom', std || plain(e.event_name), params, { eventID: e.event_id });
      },
      consent: (ok) => call('fbq', 'consent', ok ? 'grant' : 'revoke'),
    },

    google: {
      load(identity) {
        const g = config.google!;
        w.dataLayer = w.dataLayer || [];
        if (!w.gtag) {
          w.gtag = function () {
            // gtag.js reads the arguments object itself, not an array.
            // eslint-disable-next-line prefer-rest-params
            w.dataLayer.push(arguments);
          };
          gtagConsent('default', current);
          script('https://www.googletagmanager.com/gtag/js?id=' + encodeURIComponent(g.ids[0]!));
          call('gtag', 'js', new Date());
        }
        const address = pick({ sha256_first_name: identity.fn, sha256_last_name: identity.ln });
        const user = pick({
          sha256_email_address: identity.em_google,
          sha256_phone_number: identity.ph_e164,
          address: Object.keys(address).length ? address : undefined,
        });
        if (Object.keys(user).length) call('gtag', 'set', 'user_data', user);
        // Page views are sent as LayerSync page_view events, with their event id.
        for (const id of g.ids) call('gtag', 'config', id, { send_page_view: false });
      },
      track(e) {
        const c = e.commerce || {};
        const list = items(e);
        call('gtag', 'event', e.event_name === 'lead' ? 'generate_lead' : plain(e.event_name), pick({
          event_id: e.event_id,
          ...value(e),
          transaction_id: c.order_id,
          tax: c.tax,
          shipping: c.shipping,
          coupon: c.coupon,
          items: list.length
            ? list.map((i) => pick({ item_id: i.id, item_name: i.name, price: i.price, quantity: i.quantity, item_category: i.category, item_variant: i.variant, item_brand: i.brand }))
            : undefined,
          ...e.properties,
        }));
        const label = config.google!.conversions?.[e.event_name];
        // Google Ads deduplicates on the order id; the relay sends order_id ?? event_id as the server copy's.
        if (label) call('gtag', 'event', 'conversion', pick({ send_to: label, ...value(e), transaction_id: c.order_id || e.event_id }));
      },
    },

    tiktok: {
      load(identity) {
        if (!w.ttq) {
          // TikTok's documented bootstrap (events.js reads ttq._i, _t and _o).
          const ttq: Bag = (w.ttq = []);
          w.TiktokAnalyticsObject = 'ttq';
          ttq.methods = 'page track identify instances debug on off once ready alias group enableCookie disableCookie holdConsent revokeConsent grantConsent'.split(' ');
          ttq.setAndDefer = (t: Bag, m: string) => {
            t[m] = (...args: unknown[]) => t.push([m, ...args]);
          };
          for (const m of ttq.methods) ttq.setAndDefer(ttq, m);
          ttq.instance = (id: string) => {
            const e = ttq._i[id] || [];
            for (const m of ttq.methods) ttq.setAndDefer(e, m);
            return e;
          };
          ttq.load = (id: string, o?: Bag) => {
            const u = 'https://analytics.tiktok.com/i18n/pixel/events.js';
            ttq._i = ttq._i || {};
            ttq._i[id] = [];
            ttq._i[id]._u = u;
            ttq._t = ttq._t || {};
            ttq._t[id] = +new Date();
            ttq._o = ttq._o || {};
            ttq._o[id] = o || {};
            script(u + '?sdkid=' + encodeURIComponent(id) + '&lib=ttq');
          };
        }
        w.ttq.load(config.tiktok!.id);
        const user = pick({ email: identity.em, phone_number: identity.ph_e164, external_id: identity.external_id });
        if (Object.keys(user).length) w.ttq.identify(user);
        w.ttq.page();
      },
      track(e) {
        if (e.event_name === 'page_view') return; // ttq.page() at load
        const list = items(e);
        w.ttq.track(TIKTOK[e.event_name] || plain(e.event_name), pick({
          ...value(e),
          content_type: list.length ? 'product' : undefined,
          contents: list.length ? list.map((i) => pick({ content_id: i.id, content_name: i.name, price: i.price, quantity: i.quantity })) : undefined,
          order_id: e.commerce?.order_id,
        }), { event_id: e.event_id });
      },
      consent: (ok) => (ok ? w.ttq.grantConsent() : w.ttq.revokeConsent()),
    },

    pinterest: {
      load(identity) {
        if (!w.pintrk) {
          const p: Bag = (w.pintrk = (...args: unknown[]) => p.queue.push(args));
          p.queue = [];
          p.version = '3.0';
          script('https://s.pinimg.com/ct/core.js');
        }
        call('pintrk', 'load', config.pinterest!.id, pick({ em: identity.em }));
        call('pintrk', 'page');
      },
      track(e) {
        const list = items(e);
        call('pintrk', 'track', PINTEREST[e.event_name] || 'custom', pick({
          event_id: e.event_id,
          ...value(e),
          order_id: e.commerce?.order_id,
          order_quantity: list.length ? list.reduce((n, i) => n + (i.quantity || 1), 0) : undefined,
          line_items: list.length
            ? list.map((i) => pick({ product_id: i.id, product_name: i.name, product_price: i.price, product_quantity: i.quantity, product_category: i.category, product_brand: i.brand }))
            : undefined,
        }));
      },
    },

    snapchat: {
      load(identity) {
        if (!w.snaptr) {
          const a: Bag = (w.snaptr = (...args: unknown[]) => (a.handleRequest ? a.handleRequest(...args) : a.queue.push(args)));
          a.queue = [];
          script('https://sc-static.net/scevent.min.js');
        }
        call('snaptr', 'init', config.snapchat!.id, pick({ user_hashed_email: identity.em, user_hashed_phone_number: identity.ph }));
      },
      track(e) {
        const list = items(e);
        call('snaptr', 'track', SNAP[e.event_name] || 'CUSTOM_EVENT_1', pick({
          client_dedup_id: e.event_id,
          price: e.commerce?.value,
          currency: e.commerce?.currency,
          transaction_id: e.commerce?.order_id,
          item_ids: list.length ? list.map((i) => i.id) : undefined,
          number_items: list.length ? list.reduce((n, i) => n + (i.quantity || 1), 0) : undefined,
        }));
      },
    },

    linkedin: {
      load() {
        const id = config.linkedin!.id;
        w._linkedin_partner_id = id;
        (w._linkedin_data_partner_ids = w._linkedin_data_partner_ids || []).push(id);
        if (!w.lintrk) {
          const l: Bag = (w.lintrk = (a: unknown, b: unknown) => l.q.push([a, b]));
          l.q = [];
          script('https://snap.licdn.com/li.lms-analytics/insight.min.js');
        }
      },
      track(e) {
        // The Insight Tag records page views itself; conversions need a rule id per event.
        const rule = config.linkedin!.conversions?.[e.event_name];
        if (rule !== undefined) call('lintrk', 'track', { conversion_id: Number(rule), event_id: e.event_id });
      },
    },

    reddit: {
      load(identity) {
        if (!w.rdt) {
          const p: Bag = (w.rdt = (...args: unknown[]) => (p.sendEvent ? p.sendEvent(...args) : p.callQueue.push(args)));
          p.callQueue = [];
          script('https://www.redditstatic.com/ads/pixel.js');
        }
        call('rdt', 'init', config.reddit!.id, pick({
          optOut: false,
          useDecimalCurrencyValues: true,
          email: identity.em_reddit,
          phoneNumber: identity.ph_e164,
          externalId: identity.external_id,
        }));
      },
      track(e) {
        const list = items(e);
        const name = REDDIT[e.event_name];
        call('rdt', 'track', name || 'Custom', pick({
          conversionId: e.event_id,
          customEventName: name ? undefined : plain(e.event_name),
          ...value(e),
          itemCount: list.length ? list.reduce((n, i) => n + (i.quantity || 1), 0) : undefined,
          products: list.length ? list.map((i) => pick({ id: i.id, name: i.name, category: i.category })) : undefined,
        }));
      },
    },

    x: {
      load() {
        if (!w.twq) {
          const s: Bag = (w.twq = (...args: unknown[]) => (s.exe ? s.exe(...args) : s.queue.push(args)));
          s.version = '1.1';
          s.queue = [];
          script('https://static.ads-twitter.com/uwt.js');
        }
        call('twq', 'config', config.x!.id);
      },
      track(e) {
        // X records page views with the base pixel; conversions need an event tag per event.
        const tag = config.x!.events?.[e.event_name];
        const list = items(e);
        if (tag) {
          call('twq', 'event', tag, pick({
            ...value(e),
            conversion_id: e.event_id,
            contents: list.length ? list.map((i) => pick({ content_id: i.id, content_name: i.name, content_price: i.price, num_items: i.quantity })) : undefined,
          }));
        }
      },
    },
  };

  function gtagConsent(type: string, c: Consent): void {
    call('gtag', 'consent', type, { ad_storage: c.ad_storage, analytics_storage: c.analytics_storage, ad_user_data: c.ad_user_data, ad_personalization: c.ad_personalization });
  }

  /** Google tag runs under Consent Mode with analytics alone; every other pixel needs ad_storage (and no do-not-sell). */
  const allowed = (p: Platform, c: Consent): boolean =>
    !c.do_not_sell && (c.ad_storage === 'granted' || (p === 'google' && c.analytics_storage === 'granted'));

  const loaded: Partial<Record<Platform, boolean>> = {};
  let current = consent;
  let identity = initial;

  const each = (fn: (p: Platform, a: Adapter) => void): void => {
    for (const p of Object.keys(adapters) as Platform[]) {
      const c = config[p] as Bag | undefined;
      if (!c || !(p === 'google' ? Array.isArray(c.ids) && c.ids.length : c.id)) continue;
      try {
        fn(p, adapters[p]!);
      } catch (e) {
        // One platform's failure never stops the others (nor the server copy).
        console.warn('[LayerSync]', `${p} pixel:`, e);
      }
    }
  };
  const loadAllowed = (): void =>
    each((p, a) => {
      if (!loaded[p] && allowed(p, current)) {
        loaded[p] = true;
        a.load(identity);
      }
    });

  loadAllowed();

  return {
    track(e) {
      identity = { ...e.identity, ...identity };
      each((p, a) => {
        if (loaded[p] && allowed(p, current)) a.track(e);
      });
    },
    consent(c) {
      current = c;
      each((p, a) => {
        if (!loaded[p]) return;
        if (p === 'google') gtagConsent('update', c);
        else if (a.consent) a.consent(allowed(p, c));
      });
      loadAllowed();
    },
  };
}

const META: Record<string, string> = {
  page_view: 'PageView',
  view_item: 'ViewContent',
  add_to_cart: 'AddToCart',
  begin_checkout: 'InitiateCheckout',
  add_payment_info: 'AddPaymentInfo',
  purchase: 'Purchase',
  lead: 'Lead',
  sign_up: 'CompleteRegistration',
  search: 'Search',
  subscribe: 'Subscribe',
  start_trial: 'StartTrial',
};
const TIKTOK: Record<string, string> = {
  view_item: 'ViewContent',
  add_to_cart: 'AddToCart',
  begin_checkout: 'InitiateCheckout',
  add_payment_info: 'AddPaymentInfo',
  purchase: 'Purchase',
  lead: 'Lead',
  sign_up: 'CompleteRegistration',
  search: 'Search',
  subscribe: 'Subscribe',
  start_trial: 'StartTrial',
};
const PINTEREST: Record<string, string> = {
  page_view: 'pagevisit',
  view_item: 'pagevisit',
  view_item_list: 'viewcategory',
  search: 'search',
  add_to_cart: 'addtocart',
  purchase: 'checkout',
  lead: 'lead',
  sign_up: 'signup',
};
const SNAP: Record<string, string> = {
  page_view: 'PAGE_VIEW',
  view_item: 'VIEW_CONTENT',
  view_item_list: 'VIEW_CONTENT',
  add_to_cart: 'ADD_CART',
  begin_checkout: 'START_CHECKOUT',
  add_payment_info: 'ADD_BILLING',
  purchase: 'PURCHASE',
  lead: 'SIGN_UP',
  sign_up: 'SIGN_UP',
  search: 'SEARCH',
  subscribe: 'SUBSCRIBE',
  start_trial: 'START_TRIAL',
};
const REDDIT: Record<string, string> = {
  page_view: 'PageVisit',
  view_item: 'ViewContent',
  search: 'Search',
  add_to_cart: 'AddToCart',
  purchase: 'Purchase',
  lead: 'Lead',
  sign_up: 'SignUp',
};
