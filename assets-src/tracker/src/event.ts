/**
 * Turns `track(name, props)` into a canonical browser event. Everything a caller can get wrong
 * is reported with a console warning and dropped field by field, so one bad property never
 * loses the whole event (the WordPress route would reject it).
 */
import { PII_PROPS, hashIdentity } from './identity';
import { warn } from './log';
import { uuidv7 } from './uuid';
import type { BrowserEvent, Commerce, Consent, Item, Properties, StandardEventName, TrackProps } from './types';

/** Mirrors STANDARD_EVENT_NAMES in relay/src/contract/event.ts (a test keeps them equal). */
export const STANDARD_EVENT_NAMES: readonly StandardEventName[] = [
  'page_view',
  'view_item',
  'view_item_list',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'view_cart',
  'begin_checkout',
  'add_shipping_info',
  'add_payment_info',
  'purchase',
  'refund',
  'lead',
  'sign_up',
  'subscribe',
  'start_trial',
];

/** Recorded by the server's own hooks; the WordPress route refuses them from the browser. */
export const SERVER_ONLY_EVENTS: readonly string[] = ['purchase', 'refund'];

const CUSTOM_NAME = /^custom:[A-Za-z0-9_]{1,40}$/;
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const COMMERCE_PROPS = ['order_id', 'value', 'currency', 'tax', 'shipping', 'coupon', 'items'];

export function isValidEventName(name: unknown): name is string {
  return typeof name === 'string' && ((STANDARD_EVENT_NAMES as readonly string[]).includes(name) || CUSTOM_NAME.test(name));
}

export interface BuildOptions {
  /** Store currency used when `value` comes without `currency`. */
  currency?: string | undefined;
  /** Store calling code for national phone numbers. */
  callingCode?: string | undefined;
  consent?: Consent | undefined;
}

const toNumber = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && isFinite(n) ? n : undefined;
};

const toText = (v: unknown, max: number): string | undefined =>
  (typeof v === 'string' || typeof v === 'number') && String(v) !== '' ? String(v).slice(0, max) : undefined;

/** Copies defined values only, so absent fields stay absent in the JSON. */
function compact<T extends object>(o: T): T {
  const out = {} as T;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function buildItem(raw: unknown, i: number): Item | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  // GA4 dataLayer spellings (item_id, item_name…) are accepted as well.
  const text = (k: string, max = 256): string | undefined => toText(r[k] !== undefined ? r[k] : r['item_' + k], max);
  const id = text('id', 128);
  if (id === undefined) {
    warn(`items[${i}] has no id: ignored.`);
    return undefined;
  }
  const quantity = toNumber(r.quantity);
  return compact<Item>({
    id,
    name: text('name'),
    price: toNumber(r.price),
    quantity: quantity! > 0 && quantity! % 1 === 0 ? quantity : undefined,
    category: text('category'),
    variant: text('variant'),
    brand: text('brand'),
  });
}

export function buildCommerce(props: TrackProps, defaultCurrency?: string): Commerce | undefined {
  if (!COMMERCE_PROPS.some((k) => props[k] !== undefined)) return undefined;
  let currency = typeof props.currency === 'string' ? props.currency.trim().toUpperCase() : undefined;
  if (currency !== undefined && !/^[A-Z]{3}$/.test(currency)) {
    warn('"currency" must be an ISO 4217 code such as EUR: ignored.');
    currency = undefined;
  }
  let value = toNumber(props.value);
  if (props.value !== undefined && value === undefined) warn('"value" must be a number: ignored.');
  if (value !== undefined && currency === undefined) currency = defaultCurrency;
  if (value !== undefined && currency === undefined) {
    warn('"value" needs a "currency": ignored.');
    value = undefined;
  }
  let items: Item[] | undefined;
  if (Array.isArray(props.items)) {
    items = props.items.slice(0, 200).map(buildItem).filter((x): x is Item => x !== undefined);
  } else if (props.items !== undefined) warn('"items" must be an array: ignored.');
  const commerce = compact<Commerce>({
    order_id: toText(props.order_id, 128),
    value,
    currency,
    tax: toNumber(props.tax),
    shipping: toNumber(props.shipping),
    coupon: toText(props.coupon, 128),
    items,
  });
  return Object.keys(commerce).length ? commerce : undefined;
}

/** Scalar props that are neither PII nor commerce fields. */
export function buildProperties(props: TrackProps): Properties | undefined {
  const reserved = ['event_id', ...COMMERCE_PROPS, ...PII_PROPS.flat()];
  const out: Properties = {};
  let n = 0;
  for (const key of Object.keys(props)) {
    const v = props[key];
    if (reserved.includes(key) || v === undefined) continue;
    if (key.length > 64) {
      warn(`property name over 64 characters ("${key.slice(0, 64)}"): ignored.`);
    } else if (v === null || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v))) {
      out[key] = v;
      n++;
    } else if (typeof v === 'string') {
      out[key] = v.slice(0, 1024);
      n++;
    } else {
      warn(`property "${key}" must be a string, number, boolean or null: ignored.`);
    }
  }
  return n ? out : undefined;
}

/**
 * Builds the event, hashing identifiers before anything is stored. Returns undefined (after a
 * warning) when the name is not a taxonomy name or `custom:<name>`.
 */
export async function buildEvent(name: unknown, rawProps: unknown, opts: BuildOptions = {}): Promise<BrowserEvent | undefined> {
  if (!isValidEventName(name)) {
    warn(`"${String(name)}" is not an event name: use a standard one or "custom:<letters, digits, _>".`);
    return undefined;
  }
  if (rawProps !== undefined && (rawProps === null || typeof rawProps !== 'object' || Array.isArray(rawProps))) {
    warn(`track("${name}"): properties must be an object: ignored.`);
  }
  const props: TrackProps = rawProps && typeof rawProps === 'object' && !Array.isArray(rawProps) ? (rawProps as TrackProps) : {};
  let eventId = props.event_id;
  if (eventId !== undefined && (typeof eventId !== 'string' || !EVENT_ID.test(eventId))) {
    warn('"event_id" must be 1-128 letters, digits or . _ : -: a new id was generated.');
    eventId = undefined;
  }
  const identity = await hashIdentity(props, opts.callingCode);
  return compact<BrowserEvent>({
    event_id: (eventId as string | undefined) || uuidv7(),
    event_name: name as BrowserEvent['event_name'],
    event_time: Math.floor(Date.now() / 1000),
    context: compact({
      url: location.href.slice(0, 2048),
      referrer: document.referrer.slice(0, 2048) || undefined,
      locale: (navigator.language || '').slice(0, 35) || undefined,
    }),
    identity,
    commerce: buildCommerce(props, opts.currency),
    consent: opts.consent,
    properties: buildProperties(props),
  });
}
