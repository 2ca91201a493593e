import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../src/admin/openapi.js';
import { buildApp } from '../../src/app.js';
import { destinations } from '../../src/destinations/registry.js';
import { adminOpenApiDocument } from '../../src/routes/admin.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { testConfig } from '../helpers.js';
import { ADMIN_TOKEN, adminFixture, type AdminFixture } from './support.js';

const COMMITTED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/admin.openapi.json');

/** One request per route, with valid-looking input, to prove the guard runs before anything else. */
const ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/v1/admin/openapi.json'],
  ['GET', '/v1/admin/sites'],
  ['POST', '/v1/admin/sites', { site_id: 'x' }],
  ['GET', '/v1/admin/sites/test-site'],
  ['POST', '/v1/admin/sites/test-site/rotate-secret', {}],
  ['POST', '/v1/admin/sites/test-site/retire-secret'],
  ['GET', '/v1/admin/sites/test-site/policy'],
  ['PUT', '/v1/admin/sites/test-site/policy', {}],
  ['GET', '/v1/admin/destination-types'],
  ['GET', '/v1/admin/destinations'],
  ['POST', '/v1/admin/destinations', { site_id: 'test-site', slug: 'meta', settings: {} }],
  ['GET', '/v1/admin/destinations/1'],
  ['PATCH', '/v1/admin/destinations/1', { mode: 'live' }],
  ['DELETE', '/v1/admin/destinations/1'],
  ['POST', '/v1/admin/destinations/1/enable'],
  ['POST', '/v1/admin/destinations/1/disable'],
  ['POST', '/v1/admin/destinations/1/mode', { mode: 'live' }],
  ['PUT', '/v1/admin/destinations/1/event-map', { event_map: null }],
  ['POST', '/v1/admin/destinations/1/test'],
  ['GET', '/v1/admin/destinations/1/stats'],
  ['GET', '/v1/admin/stats'],
  ['GET', '/v1/admin/events'],
  ['GET', '/v1/admin/events/test-site/e1'],
  ['GET', '/v1/admin/deliveries'],
  ['POST', '/v1/admin/replays', { event_id: 'e1' }],
  ['GET', '/v1/admin/replays'],
  ['POST', '/v1/admin/privacy/delete', { email_sha256: 'a'.repeat(64) }],
  ['GET', '/v1/admin/export/events?format=csv'],
];

describe('admin API: authentication', () => {
  let fx: AdminFixture;
  beforeEach(async () => {
    fx = await adminFixture(destinations);
  });
  afterEach(() => fx.close());

  it('covers every route of the OpenAPI document', () => {
    const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const tested = ROUTES.map(([m, url]) => `${m} ${url.split('?')[0]!.replace(/\/destinations\/1/, '/destinations/{id}').replace('/sites/test-site', '/sites/{site_id}').replace('/events/test-site/e1', '/events/{site_id}/{event_id}').replace('/export/events', '/export/{kind}')}`);
    expect(new Set(tested)).toEqual(new Set(documented));
  });

  it('answers 401 without a token, with a wrong one, or with another scheme, on every route', async () => {
    for (const [method, url, payload] of ROUTES) {
      for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(1)}`]) {
        const res = await fx.app.inject({
          method: method as 'GET',
          url,
          headers: authorization ? { authorization } : {},
          ...(payload === undefined ? {} : { payload: payload as object }),
        });
        expect(res.statusCode, `${method} ${url} ${authorization}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.json()).toEqual({ error: 'unauthorized', message: "send Authorization: Bearer <the relay's LAYERSYNC_ADMIN_TOKEN>" });
      }
    }
  });

  it('is 404 on every route when LAYERSYNC_ADMIN_TOKEN is not set', async () => {
    const store = openSqliteStore(':memory:');
    const off = await buildApp({ config: testConfig(), registry: destinations, store, startWorker: false });
    for (const [method, url] of ROUTES) {
      const res = await off.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
    await off.close();
    await store.close();
  });

  it('answers malformed JSON and wrong content types with a clear error', async () => {
    const bad = await fx.app.inject({
      method: 'POST',
      url: '/v1/admin/sites',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"site_id":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_body');
    const noBody = await fx.call('POST', '/v1/admin/sites');
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json()).toMatchObject({ error: 'invalid_body', message: 'send a JSON body with Content-Type: application/json' });
    const text = await fx.app.inject({
      method: 'POST',
      url: '/v1/admin/sites',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
      payload: 'site',
    });
    expect(text.statusCode).toBe(415);
  });
});

describe('admin API: OpenAPI document', () => {
  it('the committed relay/schema/admin.openapi.json is up to date (npm run openapi -w relay)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(renderOpenApi(adminOpenApiDocument()));
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(adminOpenApiDocument());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is served at /v1/admin/openapi.json, identical to the committed file', async () => {
    const fx = await adminFixture(destinations);
    const res = await fx.call('GET', '/v1/admin/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
    await fx.close();
  });

  it('documents inputs from the zod schemas: parameters, bodies, field help and error answers', () => {
    const doc = adminOpenApiDocument() as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; required: boolean }>; requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    const events = doc.paths['/v1/admin/events']!.get!;
    expect(events.parameters!.map((p) => p.name)).toEqual(['limit', 'site', 'event_id', 'order_id', 'name', 'since', 'until', 'cursor']);
    expect(events.parameters!.every((p) => !p.required)).toBe(true);
    expect(doc.paths['/v1/admin/destinations/{id}']!.patch!.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(JSON.stringify(doc.paths['/v1/admin/destinations']!.post!.requestBody)).toContain('"enum":["meta","ga4","tiktok"');
    expect(Object.keys(doc.paths['/v1/admin/replays']!.post!.responses)).toEqual(['201', '400', '401', '404', '415', '422']);
    expect(doc.components.securitySchemes).toEqual({
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      siteSignature: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-LayerSync-Signature' }),
    });
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'Site', 'Destination', 'DestinationType', 'Event', 'Delivery', 'Decision', 'Replay', 'DestinationStats']),
    );
  });
});
