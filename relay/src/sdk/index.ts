/**
 * LayerSync Node SDK: send events from server apps (Express, Fastify, Next.js route handlers,
 * jobs) to a LayerSync relay, signed like the WordPress plugin does.
 *
 * Design rules, because this runs inside a merchant's request path:
 * - it never throws and never rejects: every call resolves to `{ ok, status, eventId }`;
 * - raw email/phone/names never leave the process: they are normalized and hashed here;
 * - it is bounded: `timeoutMs` per attempt, `maxRetries` retries on 429/5xx/network errors.
 */
import { uuidv7 } from '../util/uuidv7.js';
import { z } from 'zod';
import { canonicalEventSchema, type CanonicalEventInput } from '../contract/event.js';
import { hashIdentity, HASHED_KEYS, VARIANT_BASE, VARIANT_KEYS, type HashedKey } from '../identity/normalize.js';
import { signRequest } from '../sign.js';

export const EVENT_ID_HEADER = 'x-layersync-event-id';
export const EVENT_NAME_HEADER = 'x-layersync-event-name';

const initSchema = z.object({
  siteId: z.string().min(1, 'siteId is required (the site id registered on the relay)'),
  secretKey: z.string().min(16, 'secretKey is required (the site secret from `layersync-relay sites add`)'),
  apiUrl: z.string().url('apiUrl must be the relay base URL, e.g. https://relay.example.com'),
  consoleLog: z.boolean().default(false),
  /** How many reverse-proxy hops in front of this app to trust for X-Forwarded-For. */
  trustProxy: z.number().int().min(0).max(10).default(0),
  timeoutMs: z.number().int().positive().max(60_000).default(3_000),
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** Region for national phone numbers (ISO 3166-1 alpha-2), e.g. the store's country. */
  defaultCountry: z.string().length(2).optional(),
});
export type InitOptions = z.input<typeof initSchema>;

/** The minimum of a Node/Express/Fastify request, or a Fetch API Request (Next.js). */
export interface RequestLike {
  headers: Headers | Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined };
  ip?: string;
  url?: string;
}

export interface TrackContext {
  /** The incoming request: IP, user agent, URL and pairing headers are read from it. */
  req?: RequestLike;
  eventId?: string;
  /** Unix seconds; defaults to now. */
  eventTime?: number;
  url?: string;
  ip?: string;
  userAgent?: string;
  consent?: CanonicalEventInput['consent'];
  /** Already-hashed identifiers and click ids (fbp, fbc, gclid…). */
  identity?: CanonicalEventInput['identity'];
  source?: 'sdk' | 'server';
}

export interface Traits {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  gender?: string;
  birthDate?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
  externalId?: string;
}

/** Commerce fields go to `commerce`, everything else scalar to `properties`. */
export type Props = Record<string, unknown>;

export type TrackStatus = number | 'invalid' | 'network_error' | 'timeout' | 'not_initialized' | 'missing_headers';
export interface TrackResult {
  ok: boolean;
  status: TrackStatus;
  eventId: string;
  /** Why it failed, in plain words. Never contains secrets or raw PII. */
  error?: string;
}

const TRAIT_KEYS: Record<keyof Traits, HashedKey> = {
  email: 'em',
  phone: 'ph',
  firstName: 'fn',
  lastName: 'ln',
  gender: 'ge',
  birthDate: 'db',
  city: 'ct',
  state: 'st',
  zip: 'zp',
  country: 'country',
  externalId: 'external_id',
};
const COMMERCE_KEYS = new Set(['order_id', 'value', 'currency', 'tax', 'shipping', 'coupon', 'items']);

function header(req: RequestLike | undefined, name: string): string | undefined {
  if (!req) return undefined;
  const h = req.headers;
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The client IP, trusting exactly `trustProxy` hops of X-Forwarded-For (as Express's
 * `trust proxy = n`): with 0 the socket address; with n the n-th address from the right.
 * Headers from untrusted hops are never believed, so a client cannot spoof its IP.
 */
export function clientIp(req: RequestLike | undefined, trustProxy: number): string | undefined {
  if (!req) return undefined;
  const socketIp = req.socket?.remoteAddress ?? req.ip;
  if (trustProxy === 0) return socketIp;
  const xff = (header(req, 'x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Hops seen from this app: socket address first, then XFF right to left.
  const chain = [socketIp, ...xff.reverse()].filter((v): v is string => !!v);
  return chain[Math.min(trustProxy, chain.length - 1)];
}

function splitProps(props: Props): Pick<CanonicalEventInput, 'commerce' | 'properties'> {
  const commerce: Record<string, unknown> = {};
  const properties: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(props)) {
    if (COMMERCE_KEYS.has(k)) commerce[k] = v;
    else if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) properties[k] = v as string | number | boolean | null;
  }
  return {
    ...(Object.keys(commerce).length ? { commerce: commerce as CanonicalEventInput['commerce'] } : {}),
    ...(Object.keys(properties).length ? { properties } : {}),
  };
}

const stripIpv6Prefix = (ip: string | undefined) => (ip?.startsWith('::ffff:') ? ip.slice(7) : ip);

export class LayerSyncClient {
  private readonly opts: z.output<typeof initSchema>;

  /** Throws at start-up on a bad option, naming it: a misconfiguration must not go unnoticed. */
  constructor(options: InitOptions) {
    const parsed = initSchema.safeParse(options);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
      throw new Error(`LayerSync init: ${details}`);
    }
    this.opts = parsed.data;
  }

  /**
   * Hashes traits with the shared normalization, including the platform variants (em_google,
   * em_reddit, ph_e164) next to their base key; raw values are dropped here.
   */
  hashTraits(traits: Traits): NonNullable<CanonicalEventInput['identity']> {
    const identity: Record<string, string> = {};
    const opts = { defaultCountry: this.opts.defaultCountry, country: traits.country };
    for (const [k, v] of Object.entries(traits)) {
      const key = TRAIT_KEYS[k as keyof Traits];
      if (!key || typeof v !== 'string') continue;
      const h = hashIdentity(key, v, opts);
      if (!h) continue;
      identity[key] = h;
      for (const variant of VARIANT_KEYS) {
        if (VARIANT_BASE[variant] !== key) continue;
        const hv = hashIdentity(variant, v, opts);
        if (hv) identity[variant] = hv;
      }
    }
    return identity;
  }

  track(name: string, props: Props = {}, ctx: TrackContext = {}): Promise<TrackResult> {
    return this.send(name, props, ctx, {});
  }

  trackWithIdentity(name: string, traits: Traits, props: Props = {}, ctx: TrackContext = {}): Promise<TrackResult> {
    let hashed: NonNullable<CanonicalEventInput['identity']>;
    try {
      hashed = this.hashTraits(traits);
    } catch {
      hashed = {};
    }
    return this.send(name, props, ctx, hashed);
  }

  /**
   * The server half of an event the browser started: the tracker's headless mode adds
   * X-LayerSync-Event-Id / X-LayerSync-Event-Name to cart/order requests, so both halves share
   * one event id and the relay merges them.
   */
  trackFromHeaders(req: RequestLike, props: Props = {}, ctx: TrackContext = {}, traits?: Traits): Promise<TrackResult> {
    const eventId = header(req, EVENT_ID_HEADER);
    const name = header(req, EVENT_NAME_HEADER);
    if (!eventId || !name) {
      return Promise.resolve({
        ok: false,
        status: 'missing_headers',
        eventId: eventId ?? '',
        error: 'the request has no X-LayerSync-Event-Id / X-LayerSync-Event-Name headers (is the tracker in headless mode?)',
      });
    }
    const c = { ...ctx, req, eventId };
    return traits ? this.trackWithIdentity(name, traits, props, c) : this.track(name, props, c);
  }

  private async send(
    name: string,
    props: Props,
    ctx: TrackContext,
    hashed: NonNullable<CanonicalEventInput['identity']>,
  ): Promise<TrackResult> {
    const eventId = ctx.eventId ?? uuidv7();
    try {
      const ip = stripIpv6Prefix(ctx.ip ?? clientIp(ctx.req, this.opts.trustProxy));
      const ua = ctx.userAgent ?? header(ctx.req, 'user-agent');
      const candidate: CanonicalEventInput = {
        event_id: eventId,
        event_name: name as CanonicalEventInput['event_name'],
        event_time: ctx.eventTime ?? Math.floor(Date.now() / 1000),
        source: ctx.source ?? 'sdk',
        context: {
          ...(ctx.url ? { url: ctx.url } : {}),
          ...(ip ? { ip } : {}),
          ...(ua ? { user_agent: ua.slice(0, 512) } : {}),
        },
        identity: { ...ctx.identity, ...hashed },
        ...(ctx.consent ? { consent: ctx.consent } : {}),
        ...splitProps(props),
      };
      const parsed = canonicalEventSchema.safeParse(candidate);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const error = `invalid event: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'failed validation'}`;
        this.log(error);
        return { ok: false, status: 'invalid', eventId, error };
      }
      return await this.post(JSON.stringify({ events: [parsed.data] }), eventId);
    } catch (err) {
      // Never reject into the caller's request handler.
      const error = `unexpected error: ${(err as Error).message}`;
      this.log(error);
      return { ok: false, status: 'network_error', eventId, error };
    }
  }

  private async post(body: string, eventId: string): Promise<TrackResult> {
    const url = new URL('/v1/events', this.opts.apiUrl).toString();
    let last: TrackResult = { ok: false, status: 'network_error', eventId };
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      const headers = signRequest({ siteId: this.opts.siteId, secret: this.opts.secretKey, body });
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        const text = await res.text();
        if (res.status === 202 || res.status === 200) {
          this.log(`sent ${eventId}: ${res.status}`);
          return { ok: true, status: res.status, eventId };
        }
        let message = text.slice(0, 300);
        try {
          const j = JSON.parse(text) as { message?: string; results?: Array<{ reason?: string }> };
          message = j.message ?? j.results?.[0]?.reason ?? message;
        } catch {
          // not JSON: keep the text
        }
        last = { ok: false, status: res.status, eventId, error: message };
        if (res.status !== 429 && res.status < 500) break; // the relay said no: retrying cannot help
        const retryAfter = Number(res.headers.get('retry-after'));
        await this.backoff(attempt, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
      } catch (err) {
        const timeout = (err as Error).name === 'TimeoutError';
        last = {
          ok: false,
          status: timeout ? 'timeout' : 'network_error',
          eventId,
          error: timeout ? `relay did not answer within ${this.opts.timeoutMs} ms` : `relay unreachable: ${(err as Error).message}`,
        };
        if (attempt < this.opts.maxRetries) await this.backoff(attempt);
      }
    }
    this.log(`failed ${eventId}: ${last.status} ${last.error ?? ''}`);
    return last;
  }

  private backoff(attempt: number, retryAfterMs?: number): Promise<void> {
    // Full jitter, capped so a caller awaiting track() is never held long.
    const ms = retryAfterMs !== undefined ? Math.min(retryAfterMs, 5_000) : Math.random() * Math.min(2_000, 100 * 2 ** attempt);
    return new Promise((r) => setTimeout(r, ms));
  }

  private log(msg: string): void {
    if (this.opts.consoleLog) console.log(`[layersync] ${msg}`);
  }
}

let defaultClient: LayerSyncClient | undefined;

/** Configures the module-level client used by track(), trackWithIdentity() and trackFromHeaders(). */
export function init(options: InitOptions): LayerSyncClient {
  defaultClient = new LayerSyncClient(options);
  return defaultClient;
}

const notInitialized = (): Promise<TrackResult> =>
  Promise.resolve({ ok: false, status: 'not_initialized', eventId: '', error: 'call init({siteId, secretKey, apiUrl}) first' });

export const track = (name: string, props?: Props, ctx?: TrackContext): Promise<TrackResult> =>
  defaultClient ? defaultClient.track(name, props, ctx) : notInitialized();
export const trackWithIdentity = (name: string, traits: Traits, props?: Props, ctx?: TrackContext): Promise<TrackResult> =>
  defaultClient ? defaultClient.trackWithIdentity(name, traits, props, ctx) : notInitialized();
export const trackFromHeaders = (req: RequestLike, props?: Props, ctx?: TrackContext, traits?: Traits): Promise<TrackResult> =>
  defaultClient ? defaultClient.trackFromHeaders(req, props, ctx, traits) : notInitialized();

export { HASHED_KEYS, VARIANT_KEYS };
