/**
 * Headless stores (and the WooCommerce Store API behind the cart blocks): fetch and XHR requests
 * whose URL contains one of the configured substrings get a fresh event id and the event name in
 * `X-LayerSync-Event-Id` / `X-LayerSync-Event-Name`, so the server records its half with that id.
 * Once the request succeeds the browser records its half (pixels, and the events route for all
 * but purchase/refund) with the same id. Cross-origin APIs must allow both headers (CORS).
 */
import type { TrackProps } from '../types';
import { uuidv7 } from '../uuid';

export const ID_HEADER = 'X-LayerSync-Event-Id';
export const NAME_HEADER = 'X-LayerSync-Event-Name';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `{id, quantity}` request bodies (Store API add-item) become items. */
function props(id: string, body: unknown): TrackProps {
  try {
    const b = JSON.parse(String(body)) as Bag;
    if (b && b.id !== undefined) return { event_id: id, items: [{ id: String(b.id), quantity: Number(b.quantity) || 1 }] };
  } catch {
    // not JSON: the event still pairs by id
  }
  return { event_id: id };
}

export function watchRequests(win: Window, rules: Record<string, string[]>, track: (name: string, props: TrackProps) => unknown, endpoint: string): void {
  const names = Object.keys(rules).filter((n) => rules[n]!.length);
  if (!names.length) return;
  // Never our own events route, whatever the patterns say.
  const match = (url: string): string | undefined =>
    endpoint && url.indexOf(endpoint) >= 0 ? undefined : names.find((n) => rules[n]!.some((p) => url.indexOf(p) >= 0));

  const fetch = win.fetch;
  if (typeof fetch === 'function') {
    win.fetch = function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : (input as Request).url;
      const name = url && match(url);
      if (!name) return fetch.call(win, input, init);
      const id = uuidv7();
      const headers = new Headers((init && init.headers) || (typeof input === 'object' && 'headers' in input ? input.headers : undefined));
      headers.set(ID_HEADER, id);
      headers.set(NAME_HEADER, name);
      return fetch.call(win, input, { ...init, headers }).then((res) => {
        if (res.ok) track(name, props(id, init && init.body));
        return res;
      });
    };
  }

  const XHR = (win as unknown as Bag).XMLHttpRequest as typeof XMLHttpRequest | undefined;
  const X = XHR && (XHR.prototype as unknown as Bag);
  if (!X) return;
  const open = X.open;
  const send = X.send;
  X.open = function (this: Bag, ...args: unknown[]) {
    this._layersync = match(String(args[1]));
    return open.apply(this, args);
  };
  X.send = function (this: Bag, body?: unknown) {
    const name = this._layersync as string | undefined;
    if (name) {
      const id = uuidv7();
      this.setRequestHeader(ID_HEADER, id);
      this.setRequestHeader(NAME_HEADER, name);
      this.addEventListener('load', () => {
        if (this.status >= 200 && this.status < 300) track(name, props(id, body));
      });
    }
    return send.call(this, body);
  };
}
