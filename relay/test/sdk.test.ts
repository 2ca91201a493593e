/**
 * The Node SDK against a local HTTP server standing in for the relay's ingest route. The
 * signature is checked here with an independent HMAC computation from docs/CONTRACT.md, so a
 * drift between the SDK's signer and the contract fails this test.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientIp, LayerSyncClient } from '../src/sdk/index.js';
import { UUID7_PATTERN } from './helpers.js';

interface Captured {
  headers: IncomingMessage['headers'];
  body: string;
}
const SECRET = 'a'.repeat(64);
let server: Server;
let url: string;
let captured: Captured[];
let respond: (n: number) => { status: number; body: string; headers?: Record<string, string> };
let delayMs = 0;

beforeEach(async () => {
  captured = [];
  delayMs = 0;
  respond = () => ({ status: 202, body: '{"accepted":1,"duplicate":0,"rejected":0,"results":[]}' });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      captured.push({ headers: req.headers, body });
      const r = respond(captured.length);
      setTimeout(() => {
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body);
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const client = (extra: Partial<ConstructorParameters<typeof LayerSyncClient>[0]> = {}) =>
  new LayerSyncClient({ siteId: 'shop', secretKey: SECRET, apiUrl: url, timeoutMs: 500, maxRetries: 2, ...extra });

describe('LayerSyncClient', () => {
  it('sends one signed canonical event with hashed identity only', async () => {
    const res = await client({ defaultCountry: 'US' }).trackWithIdentity(
      'lead',
      { email: ' Jane.Doe@Example.com ', phone: '(650) 555-1212', firstName: 'Jane' },
      { form: 'contact' },
      { url: 'https://shop.test/contact', userAgent: 'UA/1', ip: '203.0.113.9' },
    );
    expect(res).toMatchObject({ ok: true, status: 202 });
    expect(captured).toHaveLength(1);
    const { headers, body } = captured[0]!;
    // Signature per docs/CONTRACT.md, computed independently here.
    const expected = createHmac('sha256', SECRET)
      .update(`${headers['x-layersync-request-id']}.${headers['x-layersync-timestamp']}.${body}`)
      .digest('hex');
    expect(headers['x-layersync-signature']).toBe(`v1=${expected}`);
    expect(headers['x-layersync-site']).toBe('shop');
    expect(Math.abs(Number(headers['x-layersync-timestamp']) - Date.now() / 1000)).toBeLessThan(5);

    const sent = JSON.parse(body) as { events: Array<Record<string, unknown>> };
    expect(sent.events).toHaveLength(1);
    const ev = sent.events[0]!;
    expect(ev.event_id).toBe(res.eventId);
    expect(res.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(ev).toMatchObject({
      event_name: 'lead',
      source: 'sdk',
      context: { url: 'https://shop.test/contact', user_agent: 'UA/1', ip: '203.0.113.9' },
      identity: {
        em: createHash('sha256').update('jane.doe@example.com').digest('hex'),
        ph: createHash('sha256').update('16505551212').digest('hex'),
        fn: createHash('sha256').update('jane').digest('hex'),
      },
      properties: { form: 'contact' },
    });
    expect(body.toLowerCase()).not.toContain('jane.doe');
    expect(body).not.toContain('555');
  });

  it('hashes the platform variants next to em and ph (docs/identity-vectors.json)', () => {
    const sha = (v: string) => createHash('sha256').update(v).digest('hex');
    const identity = client({ defaultCountry: 'US' }).hashTraits({ email: ' Cloudy.SanFrancisco+shopping@gmail.com ', phone: '(650)555-1212' });
    expect(identity).toEqual({
      em: sha('cloudy.sanfrancisco+shopping@gmail.com'),
      em_google: sha('cloudysanfrancisco@gmail.com'),
      em_reddit: sha('cloudysanfrancisco@gmail.com'),
      ph: sha('16505551212'),
      ph_e164: sha('+16505551212'),
    });
    const other = client().hashTraits({ email: 'user.name+NYC@Example.com' });
    expect(other).toEqual({
      em: sha('user.name+nyc@example.com'),
      em_google: sha('user.name+nyc@example.com'),
      em_reddit: sha('username@example.com'),
    });
  });

  it('puts commerce fields under commerce', async () => {
    await client().track('purchase', { order_id: '1001', value: 42.5, currency: 'EUR', items: [{ id: 'sku-1', quantity: 2 }] });
    const ev = (JSON.parse(captured[0]!.body) as { events: Array<Record<string, unknown>> }).events[0]!;
    expect(ev.commerce).toEqual({ order_id: '1001', value: 42.5, currency: 'EUR', items: [{ id: 'sku-1', quantity: 2 }] });
  });

  it('retries 503 and 429 (honouring Retry-After) and then succeeds', async () => {
    respond = (n) =>
      n === 1
        ? { status: 503, body: '{"error":"store_unavailable","message":"try later"}' }
        : n === 2
          ? { status: 429, body: '{"error":"rate_limited","message":"slow down"}', headers: { 'retry-after': '0' } }
          : { status: 202, body: '{}' };
    const res = await client().track('lead');
    expect(res).toMatchObject({ ok: true, status: 202 });
    expect(captured).toHaveLength(3);
    // Each attempt is signed afresh: a new request id, so replay protection does not refuse it.
    expect(new Set(captured.map((c) => c.headers['x-layersync-request-id'])).size).toBe(3);
    // Time-ordered (UUIDv7), so the relay's replay-protection index stays append-mostly.
    for (const c of captured) expect(c.headers['x-layersync-request-id']).toMatch(UUID7_PATTERN);
  });

  it('does not retry what the relay rejected, and reports its message', async () => {
    respond = () => ({ status: 401, body: '{"error":"bad_signature","message":"signature does not match"}' });
    const res = await client().track('lead');
    expect(res).toMatchObject({ ok: false, status: 401, error: 'signature does not match' });
    expect(captured).toHaveLength(1);
  });

  it('resolves (never rejects) when the relay is down or slow', async () => {
    delayMs = 2_000;
    const slow = await client({ maxRetries: 0, timeoutMs: 200 }).track('lead');
    expect(slow).toMatchObject({ ok: false, status: 'timeout' });
    const down = await new LayerSyncClient({ siteId: 's', secretKey: SECRET, apiUrl: 'http://127.0.0.1:1', maxRetries: 1 }).track('lead');
    expect(down).toMatchObject({ ok: false, status: 'network_error' });
  });

  it('validates before sending and says what is wrong', async () => {
    const res = await client().track('not a name');
    expect(res.ok).toBe(false);
    expect(res.status).toBe('invalid');
    expect(res.error).toMatch(/event_name/);
    expect(captured).toHaveLength(0);
  });

  it('pairs with the browser half through the tracker headers', async () => {
    const req = { headers: { 'x-layersync-event-id': 'evt-browser-1', 'x-layersync-event-name': 'add_to_cart', 'user-agent': 'UA' } };
    const res = await client().trackFromHeaders(req, { value: 10, currency: 'USD' });
    expect(res).toMatchObject({ ok: true, eventId: 'evt-browser-1' });
    const ev = (JSON.parse(captured[0]!.body) as { events: Array<Record<string, unknown>> }).events[0]!;
    expect(ev).toMatchObject({ event_id: 'evt-browser-1', event_name: 'add_to_cart' });
    expect(await client().trackFromHeaders({ headers: {} })).toMatchObject({ ok: false, status: 'missing_headers' });
  });

  it('fails init with a message naming the bad option', () => {
    expect(() => new LayerSyncClient({ siteId: '', secretKey: SECRET, apiUrl: url })).toThrow(/siteId/);
    expect(() => new LayerSyncClient({ siteId: 's', secretKey: SECRET, apiUrl: 'relay' })).toThrow(/apiUrl/);
  });
});

describe('clientIp', () => {
  const req = { headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.2' }, socket: { remoteAddress: '10.0.0.1' } };
  it('trusts exactly trustProxy hops', () => {
    expect(clientIp(req, 0)).toBe('10.0.0.1'); // XFF from an untrusted client is ignored
    expect(clientIp(req, 1)).toBe('10.0.0.2');
    expect(clientIp(req, 2)).toBe('198.51.100.7');
    expect(clientIp(req, 5)).toBe('198.51.100.7');
  });
});
