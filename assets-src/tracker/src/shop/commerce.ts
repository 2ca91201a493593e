/**
 * WooCommerce funnel and lead forms, detected in the page, plus the server-first events the
 * plugin prints. Browser and server halves of one event share its id (README "WooCommerce and
 * forms" documents each hand-over):
 *
 * - browser → server: a hidden `layersync_event_id` field added to add-to-cart and lead forms at
 *   submit, `layersync_event_id` added to WooCommerce's AJAX add-to-cart data (`adding_to_cart`),
 *   and X-LayerSync-Event-Id / -Name headers on Store API and headless requests (headless.ts);
 * - server → browser: `LayerSyncConfig.purchase` / `.events` entries with an `event_id`, elements
 *   with `data-layersync-event` + `data-layersync-event-id` (+ JSON `data-layersync-props`) in the
 *   page or in AJAX add-to-cart fragments, and `layersync_event_id` in form plugins' AJAX answers.
 */
import type { PageEvent, TrackerConfig } from '../config';
import type { TrackProps } from '../types';
import { uuidv7 } from '../uuid';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const EVENT_ID_FIELD = 'layersync_event_id';
const FORMS = '.wpcf7-form,.wpforms-form,.frm-show-form';
const PAYMENT_INPUTS = ['payment_method', 'radio-control-wc-payment-method-options'];

/** WooCommerce funnel events the merchant can switch off (LayerSync → Events). */
const SWITCHABLE = ['view_item', 'view_item_list', 'add_to_cart', 'remove_from_cart', 'view_cart', 'begin_checkout', 'add_shipping_info', 'add_payment_info', 'purchase', 'refund'];

export function watchCommerce(
  win: Window,
  config: TrackerConfig,
  record: (name: string, props: TrackProps) => unknown,
  serverFirst: (event: PageEvent) => void,
): void {
  // A funnel event switched off is not recorded from the page either (so no pixel fires for it);
  // without the plugin's list (headless pages, older plugins) every event is on.
  const on = config.commerce && Array.isArray(config.commerce.events) ? config.commerce.events : SWITCHABLE;
  const track = (name: string, props: TrackProps): unknown => (SWITCHABLE.includes(name) && !on.includes(name) ? undefined : record(name, props));
  const doc = win.document;
  const w = win as unknown as Bag;
  const woo = config.woocommerce !== false;
  const jq = (target: EventTarget, type: string, fn: (e: Bag, ...args: Bag[]) => void): void => {
    if (typeof w.jQuery === 'function') w.jQuery(target).on(type, fn);
  };
  const value = (root: ParentNode, selector: string): string | undefined => (root.querySelector(selector) as HTMLInputElement | null)?.value || undefined;

  const page = config.events!.concat(config.purchase ? [{ ...config.purchase, event_name: 'purchase' }] : []);
  const named = (name: string): PageEvent | undefined => page.find((e) => e.event_name === name);
  const run = (e: PageEvent): void => {
    if (typeof e.event_name !== 'string') return;
    if (e.event_id) serverFirst(e);
    else {
      const { event_name, ...props } = e;
      track(event_name, props);
    }
  };
  const scan = (root: ParentNode): boolean => {
    const found = root.querySelectorAll('[data-layersync-event-id]');
    found.forEach((el) => {
      const d = (el as HTMLElement).dataset;
      let props: Bag = {};
      try {
        props = JSON.parse(d.layersyncProps || '{}') as Bag;
      } catch {
        // a broken attribute still pairs the event by id
      }
      run({ ...props, event_name: d.layersyncEvent, event_id: d.layersyncEventId });
    });
    return found.length > 0;
  };

  const productId = (f: ParentNode): string | undefined =>
    (Number(value(f, '[name=variation_id]')) > 0 ? value(f, '[name=variation_id]') : undefined) ||
    value(f, '[name=add-to-cart]') ||
    value(f, '[name=product_id]');
  const item = (id: string | undefined, quantity?: unknown): Bag | undefined => (id ? { items: [{ id, quantity: Number(quantity) || 1 }] } : undefined);

  // Ids handed to the server with a submit, and what a lead form held, until its success event.
  const submitted = new WeakMap<Element, Bag>();
  const stamp = (f: HTMLFormElement): string => {
    let input = f.querySelector(`input[name=${EVENT_ID_FIELD}]`) as HTMLInputElement | null;
    if (!input) {
      input = doc.createElement('input');
      input.type = 'hidden';
      input.name = EVENT_ID_FIELD;
      f.appendChild(input);
    }
    return (input.value = uuidv7());
  };
  doc.addEventListener(
    'submit',
    (e) => {
      const f = e.target as HTMLFormElement;
      if (!f || !f.matches) return;
      if (woo && f.matches('form.cart')) {
        track('add_to_cart', { event_id: stamp(f), ...item(productId(f), value(f, '[name=quantity]')) });
      } else if (config.forms !== false && f.matches(FORMS)) {
        submitted.set(f, { event_id: stamp(f), email: value(f, 'input[type=email]'), phone: value(f, 'input[type=tel]') });
      }
    },
    true,
  );

  if (config.forms !== false) {
    const lead = (el: Bag | null | undefined, response: Bag | undefined, formId: unknown): void => {
      // The form itself, an element inside it, or a wrapper around it (CF7 dispatches on its wrapper).
      const f: Element | undefined = el && el.closest ? (el.nodeName === 'FORM' ? el : el.closest('form') || el.querySelector('form')) : undefined;
      const held = (f && submitted.get(f)) || {};
      if (f) submitted.delete(f);
      const r = response || {};
      const fields = r.data && r.data.fields;
      const email = held.email || (fields && (Object.values(fields) as Bag[]).find((x) => x && x.type === 'email')?.value);
      track('lead', {
        ...held,
        email,
        event_id: r[EVENT_ID_FIELD] || (r.data && r.data[EVENT_ID_FIELD]) || held.event_id,
        form_id: formId === undefined ? undefined : String(formId),
      });
    };
    doc.addEventListener('wpcf7mailsent', (e) => {
      const d = (e as CustomEvent).detail || {};
      lead(e.target as Bag, d.apiResponse, d.contactFormId);
    });
    jq(doc, 'wpformsAjaxSubmitSuccess', (e, json) => lead(e.target, json, e.target && e.target.dataset && e.target.dataset.formid));
    jq(doc, 'nfFormSubmitResponse', (_e, r) => lead(doc.getElementById(`nf-form-${r && r.id}-cont`), r && r.response, r && r.id));
    jq(doc, 'frmFormComplete', (_e, form, response) => {
      const f = form && form.jquery ? form[0] : form;
      lead(f, response, f && f.id);
    });
  }

  if (woo) {
    let ajaxId: string | undefined;
    jq(doc.body, 'adding_to_cart', (_e, _button, data) => {
      ajaxId = uuidv7();
      if (data) data[EVENT_ID_FIELD] = ajaxId;
    });
    jq(doc.body, 'added_to_cart', (_e, fragments, _hash, button) => {
      // Server-first: the plugin may answer with a fragment carrying its own event id.
      let server = false;
      for (const html of Object.values(fragments || {})) {
        if (typeof html !== 'string' || html.indexOf('data-layersync-event-id') < 0) continue;
        const t = doc.createElement('template');
        t.innerHTML = html;
        server = scan(t.content) || server;
      }
      const b = button && (button[0] || button);
      const d: Bag = (b && b.dataset) || {};
      if (!server) track('add_to_cart', { event_id: ajaxId, ...item(d.product_id || d.product_sku, d.quantity) });
      ajaxId = undefined;
    });

    // A payment method chosen by the visitor (classic checkout radios, checkout block radios).
    const paid: string[] = [];
    doc.addEventListener('change', (e) => {
      const t = e.target as HTMLInputElement;
      if (!t || !PAYMENT_INPUTS.includes(t.name) || !t.checked || paid.includes(t.value)) return;
      paid.push(t.value);
      const { event_name: _n, event_id: _i, ...checkout } = named('begin_checkout') || {};
      track('add_payment_info', { ...checkout, payment_type: t.value });
    });
  }

  const start = (): void => {
    page.forEach(run);
    scan(doc);
    if (!woo || !doc.body) return;
    // Fallbacks when the plugin did not print the page's event.
    const body = doc.body.classList;
    const auto = (name: string, props?: Bag): void => {
      if (!named(name)) track(name, props || {});
    };
    const form = doc.querySelector('form.cart');
    if (body.contains('single-product')) auto('view_item', form ? item(productId(form)) : undefined);
    if (body.contains('woocommerce-cart')) auto('view_cart');
    if (body.contains('woocommerce-checkout') && !body.contains('woocommerce-order-received')) auto('begin_checkout');
  };
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start);
  else start();
}
