/**
 * The shop module: WooCommerce events (classic, AJAX with real jQuery events, Store API),
 * server-first events from the config and DOM data attributes, lead forms (Contact Form 7,
 * WPForms, Ninja Forms, Formidable) with their real event shapes, and headless request headers.
 */
import jQuery from 'jquery';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfig } from '../src/config';
import { installShop } from '../src/shop/entry';
import { EVENT_ID_FIELD } from '../src/shop/commerce';
import { ID_HEADER, NAME_HEADER } from '../src/shop/headless';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const w = window as unknown as Bag;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const listeners: Array<[EventTarget, string, EventListenerOrEventListenerObject, unknown]> = [];
let track: ReturnType<typeof vi.fn<(name: string, props: object) => unknown>>;
const realFetch = window.fetch;
const realOpen = XMLHttpRequest.prototype.open;
const realSend = XMLHttpRequest.prototype.send;

/** Installs the shop module on a fresh page with the given config (listeners removed afterwards). */
function shop(config: object = {}, storage: () => Storage | undefined = () => localStorage): void {
  track = vi.fn();
  for (const target of [window, document]) {
    const add = target.addEventListener.bind(target);
    vi.spyOn(target, 'addEventListener').mockImplementation((type: string, fn: EventListenerOrEventListenerObject | null, o?: unknown) => {
      if (!fn) return;
      listeners.push([target, type, fn, o]);
      add(type, fn, o as AddEventListenerOptions);
    });
  }
  installShop(window, readConfig({ endpoint: '/wp-json/layersync/v1/events', ...config }), track, storage);
  vi.mocked(window.addEventListener).mockRestore();
  vi.mocked(document.addEventListener).mockRestore();
}

beforeEach(() => {
  w.jQuery = jQuery;
  localStorage.clear();
  document.body.className = '';
  document.body.innerHTML = '';
});
afterEach(() => {
  for (const [target, type, fn, o] of listeners.splice(0)) target.removeEventListener(type, fn, o as EventListenerOptions);
  jQuery(document).off();
  jQuery(document.body).off();
  delete w.jQuery;
  window.fetch = realFetch;
  XMLHttpRequest.prototype.open = realOpen;
  XMLHttpRequest.prototype.send = realSend;
});

const calls = () => track.mock.calls.map(([name, props]) => [name, props]);

describe('server-first events (config and data attributes)', () => {
  it('records the thank-you page purchase with the order’s deterministic id, once per order', () => {
    const purchase = { event_id: 'wc_order_1001_purchase', order_id: '1001', value: 59.8, currency: 'EUR', items: [{ id: 'SKU-1', quantity: 2 }], em: 'a'.repeat(64) };
    shop({ purchase });
    expect(calls()).toEqual([['purchase', purchase]]);
    shop({ purchase }); // the thank-you page revisited
    expect(calls()).toEqual([]);
  });

  it('records config events: with an event_id as the server’s twin, without one as a browser-first event', () => {
    shop({ events: [{ event_name: 'begin_checkout', event_id: 'srv-1', value: 10, currency: 'EUR' }, { event_name: 'view_item', items: [{ id: 'SKU-9' }] }] });
    expect(calls()).toEqual([
      ['begin_checkout', { event_id: 'srv-1', value: 10, currency: 'EUR' }],
      ['view_item', { items: [{ id: 'SKU-9' }] }],
    ]);
  });

  it('reads data-layersync-event / -event-id / -props elements', () => {
    document.body.innerHTML = `<div hidden data-layersync-event="add_to_cart" data-layersync-event-id="srv-atc-5" data-layersync-props='{"value":5,"currency":"EUR"}'></div>`;
    shop();
    expect(calls()).toEqual([['add_to_cart', { value: 5, currency: 'EUR', event_id: 'srv-atc-5' }]]);
  });

  it('remembers nothing when storage is not allowed (default-denied mode)', () => {
    shop({ purchase: { event_id: 'p-1' } }, () => undefined);
    expect(localStorage.length).toBe(0);
    expect(calls()).toEqual([['purchase', { event_id: 'p-1' }]]);
  });
});

describe('WooCommerce', () => {
  it('classic add-to-cart form: a hidden layersync_event_id for the server, the same id in the browser event', () => {
    document.body.innerHTML = `<form class="cart" method="post"><input name="quantity" value="3"><button name="add-to-cart" value="42">Add</button><input type="hidden" name="add-to-cart" value="42"></form>`;
    shop();
    const form = document.querySelector('form')!;
    form.addEventListener('submit', (e) => e.preventDefault());
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    const hidden = form.querySelector<HTMLInputElement>(`input[name=${EVENT_ID_FIELD}]`)!;
    expect(hidden.value).toMatch(UUID);
    expect(calls()).toEqual([['add_to_cart', { event_id: hidden.value, items: [{ id: '42', quantity: 3 }] }]]);
  });

  it('AJAX add to cart: the id travels in the request data (adding_to_cart) and is used on added_to_cart', () => {
    document.body.innerHTML = `<a class="ajax_add_to_cart" data-product_id="77" data-product_sku="MUG" data-quantity="1">Add</a>`;
    shop();
    const $button = jQuery('a');
    const data: Bag = { product_id: 77, quantity: 1 };
    // What WooCommerce's add-to-cart.js triggers around its $.ajax call.
    jQuery(document.body).trigger('adding_to_cart', [$button, data]);
    expect(data[EVENT_ID_FIELD]).toMatch(UUID);
    jQuery(document.body).trigger('added_to_cart', [{ 'div.widget_shopping_cart_content': '<div>cart</div>' }, 'hash', $button]);
    expect(calls()).toEqual([['add_to_cart', { event_id: data[EVENT_ID_FIELD], items: [{ id: '77', quantity: 1 }] }]]);
  });

  it('AJAX add to cart: a server-first id in the fragments wins', () => {
    shop();
    const fragments = { 'div.layersync-events': `<div class="layersync-events"><span data-layersync-event="add_to_cart" data-layersync-event-id="srv-77" data-layersync-props='{"items":[{"id":"77"}]}'></span></div>` };
    jQuery(document.body).trigger('adding_to_cart', [jQuery('<a>'), {}]);
    jQuery(document.body).trigger('added_to_cart', [fragments, 'hash', jQuery('<a>')]);
    expect(calls()).toEqual([['add_to_cart', { items: [{ id: '77' }], event_id: 'srv-77' }]]);
  });

  it('records add_payment_info when the visitor picks a payment method (classic and block checkout), once per method', () => {
    document.body.innerHTML = `<input type="radio" name="payment_method" value="bacs"><input type="radio" name="payment_method" value="stripe"><input type="radio" name="radio-control-wc-payment-method-options" value="paypal">`;
    shop({ events: [{ event_name: 'begin_checkout', event_id: 'srv-c', value: 20, currency: 'EUR' }] });
    track.mockClear();
    for (const value of ['bacs', 'stripe', 'bacs', 'paypal']) {
      const input = document.querySelector<HTMLInputElement>(`input[value=${value}]`)!;
      input.checked = true;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }
    expect(calls()).toEqual([
      ['add_payment_info', { value: 20, currency: 'EUR', payment_type: 'bacs' }],
      ['add_payment_info', { value: 20, currency: 'EUR', payment_type: 'stripe' }],
      ['add_payment_info', { value: 20, currency: 'EUR', payment_type: 'paypal' }],
    ]);
  });

  it('records no funnel event the merchant switched off (commerce.events), from forms, payment choices or body classes', () => {
    document.body.className = 'single-product woocommerce';
    document.body.innerHTML = `<form class="cart" method="post"><input name="quantity" value="1"><button name="add-to-cart" value="42">Add</button></form>
      <input type="radio" name="payment_method" value="bacs">`;
    shop({ commerce: { events: ['view_item', 'purchase'] } });
    const form = document.querySelector('form')!;
    form.addEventListener('submit', (e) => e.preventDefault());
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    const radio = document.querySelector<HTMLInputElement>('input[value=bacs]')!;
    radio.checked = true;
    radio.dispatchEvent(new Event('change', { bubbles: true }));
    // view_item is on (body class fallback), add_to_cart and add_payment_info are off.
    expect(calls().map(([name]) => name)).toEqual(['view_item']);
    document.body.className = 'woocommerce-cart';
    shop({ commerce: { events: [] } });
    expect(calls()).toEqual([]);
    // Custom and lead events are not funnel events: never filtered by this list.
    shop({ commerce: { events: [] }, events: [{ event_name: 'custom:quiz_done' }] });
    expect(calls().map(([name]) => name)).toEqual(['custom:quiz_done']);
  });

  it('falls back to body classes for view_item, view_cart and begin_checkout the plugin did not print', () => {
    document.body.className = 'single-product woocommerce';
    document.body.innerHTML = `<form class="cart"><input name="variation_id" value="0"><button name="add-to-cart" value="15">Add</button></form>`;
    shop();
    expect(calls()).toEqual([['view_item', { items: [{ id: '15', quantity: 1 }] }]]);
    document.body.className = 'woocommerce-cart';
    document.body.innerHTML = '';
    shop({ events: [] });
    document.body.className = 'woocommerce-checkout';
    const cart = calls();
    shop({ events: [{ event_name: 'begin_checkout', value: 3, currency: 'EUR' }] });
    expect([cart, calls()]).toEqual([[['view_cart', {}]], [['begin_checkout', { value: 3, currency: 'EUR' }]]]);
    document.body.className = 'woocommerce-checkout woocommerce-order-received';
    shop();
    expect(calls()).toEqual([]);
  });

  it('blocks add to cart through the Store API: headers on the request, the same id in the browser event', async () => {
    const seen: Headers[] = [];
    window.fetch = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return new Response('{}', { status: 201 });
    }) as typeof fetch;
    shop();
    await window.fetch('/wp-json/wc/store/v1/cart/add-item', { method: 'POST', headers: { Nonce: 'x' }, body: JSON.stringify({ id: 88, quantity: 2 }) });
    expect(seen[0]!.get(NAME_HEADER)).toBe('add_to_cart');
    expect(seen[0]!.get('Nonce')).toBe('x');
    expect(calls()).toEqual([['add_to_cart', { event_id: seen[0]!.get(ID_HEADER), items: [{ id: '88', quantity: 2 }] }]]);
  });
});

describe('lead forms', () => {
  const form = (cls: string, id = 'f1') => {
    document.body.innerHTML = `<div class="wrap"><form id="${id}" class="${cls}" data-formid="9"><input type="email" name="your-email" value="Jane@Example.com"><input type="tel" name="tel" value="+49 151 1234567"><button>Send</button></form></div>`;
    const f = document.querySelector('form')!;
    f.addEventListener('submit', (e) => e.preventDefault());
    f.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    return f;
  };
  const hiddenId = (f: HTMLFormElement) => f.querySelector<HTMLInputElement>(`input[name=${EVENT_ID_FIELD}]`)!.value;

  it('Contact Form 7: wpcf7mailsent with the id given to the server in the hidden field', () => {
    shop();
    const f = form('wpcf7-form');
    // CF7 5.x dispatches on the form's wrapper with bubbles.
    f.parentElement!.dispatchEvent(new CustomEvent('wpcf7mailsent', { bubbles: true, detail: { contactFormId: 42, status: 'mail_sent', apiResponse: { status: 'mail_sent' } } }));
    expect(hiddenId(f)).toMatch(UUID);
    expect(calls()).toEqual([['lead', { event_id: hiddenId(f), email: 'Jane@Example.com', phone: '+49 151 1234567', form_id: '42' }]]);
  });

  it('WPForms: wpformsAjaxSubmitSuccess (jQuery), a server id in the answer wins', () => {
    shop();
    const f = form('wpforms-form');
    jQuery(f).trigger('wpformsAjaxSubmitSuccess', { success: true, data: { confirmation: 'Thanks', [EVENT_ID_FIELD]: 'srv-lead-5' } });
    expect(calls()).toEqual([['lead', { event_id: 'srv-lead-5', email: 'Jane@Example.com', phone: '+49 151 1234567', form_id: '9' }]]);
  });

  it('Ninja Forms: nfFormSubmitResponse (jQuery), email from the submitted fields', () => {
    shop();
    jQuery(document).trigger('nfFormSubmitResponse', { id: '3', response: { data: { form_id: '3', fields: { 1: { key: 'email', type: 'email', value: 'n@example.com' }, 2: { type: 'textbox', value: 'hi' } } } } });
    expect(calls()).toEqual([['lead', { email: 'n@example.com', event_id: undefined, form_id: '3' }]]);
  });

  it('Formidable: frmFormComplete (jQuery) with the form element', () => {
    shop();
    const f = form('frm-show-form', 'form_contact');
    jQuery(document).trigger('frmFormComplete', [f, { content: 'ok' }]);
    expect(calls()).toEqual([['lead', { event_id: hiddenId(f), email: 'Jane@Example.com', phone: '+49 151 1234567', form_id: 'form_contact' }]]);
  });

  it('leaves forms alone when told to', () => {
    shop({ forms: false });
    const f = form('wpcf7-form');
    f.dispatchEvent(new CustomEvent('wpcf7mailsent', { bubbles: true, detail: {} }));
    expect(f.querySelector(`input[name=${EVENT_ID_FIELD}]`)).toBeNull();
    expect(calls()).toEqual([]);
  });
});

describe('headless mode', () => {
  it('adds X-LayerSync-Event-Id / -Name to configured fetch and XHR requests, and records the browser half after success', async () => {
    const seen: Array<[string, Headers]> = [];
    window.fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push([String(input), new Headers(init?.headers)]);
      return new Response('{}', { status: String(input).includes('fail') ? 500 : 200 });
    }) as typeof fetch;
    shop({ woocommerce: false, headless: { purchase: ['/api/checkout'], add_to_cart: ['/api/cart/'] } });
    await window.fetch('https://api.shop.example/api/checkout?x=1', { method: 'POST' });
    await window.fetch('/api/cart/fail', { method: 'POST' });
    await window.fetch('/api/products');
    await window.fetch('/wp-json/layersync/v1/events?/api/cart/', { method: 'POST' }); // our own route: never
    expect(seen.map(([u, h]) => [u, h.get(NAME_HEADER), h.get(ID_HEADER) && UUID.test(h.get(ID_HEADER)!)])).toEqual([
      ['https://api.shop.example/api/checkout?x=1', 'purchase', true],
      ['/api/cart/fail', 'add_to_cart', true],
      ['/api/products', null, null],
      ['/wp-json/layersync/v1/events?/api/cart/', null, null],
    ]);
    expect(calls()).toEqual([['purchase', { event_id: seen[0]![1].get(ID_HEADER) }]]); // the failed add_to_cart is not recorded

    const sent: Bag[] = [];
    XMLHttpRequest.prototype.open = function (this: Bag, ...a: unknown[]) {
      this._url = a[1];
    } as typeof XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.send = function (this: Bag, body?: unknown) {
      sent.push({ url: this._url, body });
      Object.defineProperty(this, 'status', { value: 200 });
      this.dispatchEvent(new Event('load'));
    } as typeof XMLHttpRequest.prototype.send;
    const setHeader = vi.spyOn(XMLHttpRequest.prototype, 'setRequestHeader').mockImplementation(() => {});
    track.mockClear();
    shop({ woocommerce: false, headless: { add_to_cart: ['/api/cart/'] } });
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/cart/items');
    xhr.send(JSON.stringify({ id: 'SKU-3', quantity: 1 }));
    const id = setHeader.mock.calls.find(([h]) => h === ID_HEADER)![1];
    expect(setHeader.mock.calls).toEqual([[ID_HEADER, id], [NAME_HEADER, 'add_to_cart']]);
    expect(calls()).toEqual([['add_to_cart', { event_id: id, items: [{ id: 'SKU-3', quantity: 1 }] }]]);
  });
});
