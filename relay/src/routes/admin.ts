/**
 * The admin API under /v1/admin/, enabled by LAYERSYNC_ADMIN_TOKEN (bearer, compared in constant
 * time). Every route's input and output is a zod schema (admin/schemas.ts); the OpenAPI document
 * at /v1/admin/openapi.json is generated from this list (admin/openapi.ts). Secrets are never
 * returned: destination credentials and site secrets appear masked (••••abcd), and the response
 * schemas drop anything they do not name.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { buildOpenApiDocument } from '../admin/openapi.js';
import { created, defineRoute, ok, registerRoutes, type AnyRoute } from '../admin/route-spec.js';
import * as s from '../admin/schemas.js';
import { AdminError, AdminService } from '../admin/service.js';
import { parseTimeInput } from '../admin/time.js';
import type { DestinationSlug } from '../destinations/types.js';
import { eventMapOverridesSchema } from '../pipeline/event-map.js';
import { sitePolicySchema } from '../pipeline/policy.js';
import { exportStream } from '../export/stream.js';
import { StoreUnavailableError } from '../store/types.js';
import { VaultError } from '../vault/cipher.js';
import { bearerGuard, scopeOf, setScope, type AdminScope } from './auth.js';
import { looksSiteSigned, verifySiteRequest } from './site-auth.js';
import { RELAY_VERSION } from '../version.js';

export interface AdminRouteOptions {
  adminToken: string | undefined;
  /** API origin overrides per destination, for connection tests. */
  baseUrls?: Partial<Record<DestinationSlug, string>>;
  /** Clock tolerance of site-signed requests, as for ingest (default 300 s). */
  signatureToleranceSeconds?: number;
  /** LAYERSYNC_RETENTION_DAYS, reported with each site. */
  retentionDays?: number;
}

/** Version of the admin API document (not of the relay). */
export const ADMIN_API_VERSION = '1.0.0';

const json = <T extends z.ZodType>(description: string, schema: T) => ({ description, schema });
const NOT_FOUND = { 404: 'No such site, destination or event.' };
const EVENTS_HINT = 'use ?limit=1-500&site=<site id>';

/**
 * The site a request may act on. The operator may name any site (or none: every site); a
 * site-signed caller always acts on its own, and naming another is refused.
 */
function siteFor(scope: AdminScope, requested: string | undefined): string | undefined {
  if (scope.kind === 'operator') return requested;
  if (requested !== undefined && requested !== scope.siteId) {
    throw new AdminError(403, 'forbidden_site', `requests signed by site "${scope.siteId}" may only read and change that site's data, not site "${requested}"`);
  }
  return scope.siteId;
}

/** Refuses a site-signed caller a destination of another site, as if it did not exist. */
async function ownDestination(service: AdminService, scope: AdminScope, id: number): Promise<void> {
  if (scope.kind === 'operator') return;
  const d = await service.getDestination(id);
  if (d.site_id !== scope.siteId) {
    throw new AdminError(404, 'not_found', `no destination with id ${id}; list this site's destinations with GET /v1/admin/destinations`);
  }
}

/**
 * The admin routes. `svc` gives the service for a request; the OpenAPI generator passes one that
 * is never called.
 */
export function adminRouteList(svc: () => AdminService): AnyRoute[] {
  const routes: AnyRoute[] = [
    defineRoute({
      method: 'GET',
      path: '/v1/admin/openapi.json',
      operationId: 'getOpenApi',
      tag: 'meta',
      summary: 'This document',
      responses: { 200: json('The OpenAPI 3.1 document of the admin API.', z.record(z.string(), z.unknown())) },
      handler: async () => ok(buildOpenApiDocument(routes, { version: ADMIN_API_VERSION })),
    }),

    // ── Sites ──
    defineRoute({
      method: 'GET',
      path: '/v1/admin/sites',
      operationId: 'listSites',
      tag: 'sites',
      summary: 'List sites with masked secrets',
      description: 'A site-signed request sees only its own site.',
      responses: { 200: json('Every site.', s.listOf('sites', s.siteSchema)) },
      handler: async ({ scope }) => {
        const own = siteFor(scope, undefined);
        return ok({ sites: own === undefined ? await svc().listSites() : [await svc().getSite(own)] });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/sites',
      operationId: 'createSite',
      tag: 'sites',
      summary: 'Create a site',
      description: 'Creates a site allowed to send signed events. Without `secret` the relay generates one and returns it this once.',
      body: s.siteCreateBody,
      operatorOnly: true,
      responses: { 201: json('Created.', s.siteWithSecretSchema) },
      errors: { 409: 'The site exists already.' },
      handler: async ({ body }) => created(await svc().createSite(body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/sites/{site_id}',
      operationId: 'getSite',
      tag: 'sites',
      summary: 'One site',
      params: s.siteParams,
      responses: { 200: json('The site.', s.siteSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => ok(await svc().getSite(siteFor(scope, params.site_id)!)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/sites/{site_id}/rotate-secret',
      operationId: 'rotateSiteSecret',
      tag: 'sites',
      summary: 'Start a secret rotation',
      description:
        'Makes a new secret current while the old one stays valid, so senders can switch without losing events (two active secrets). ' +
        'Retire the old one with retire-secret once every sender signs with the new one.',
      params: s.siteParams,
      body: s.siteRotateBody,
      operatorOnly: true,
      responses: { 200: json('Rotated; `secret` is the new secret when the relay generated it (shown once).', s.siteWithSecretSchema) },
      errors: { ...NOT_FOUND, 409: 'The given secret is already active.' },
      handler: async ({ params, body }) => ok(await svc().rotateSiteSecret(params.site_id, body)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/sites/{site_id}/retire-secret',
      operationId: 'retireSiteSecret',
      tag: 'sites',
      summary: 'End a secret rotation',
      description: 'Stops accepting the previous secret; only the current one stays valid.',
      params: s.siteParams,
      operatorOnly: true,
      responses: { 200: json('The site, with one secret.', s.siteSchema) },
      errors: { ...NOT_FOUND, 409: 'The site is not rotating (one secret only).' },
      handler: async ({ params }) => ok(await svc().retireSiteSecret(params.site_id)),
    }),

    defineRoute({
      method: 'GET',
      path: '/v1/admin/sites/{site_id}/policy',
      operationId: 'getSitePolicy',
      tag: 'sites',
      summary: "The site's privacy policy",
      description: 'How the consent gate treats events of this site: default when consent is missing, Limited Data Use, do-not-sell, purposes per destination.',
      params: s.siteParams,
      responses: { 200: json('The policy (defaults filled in).', sitePolicySchema) },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => ok(await svc().getSitePolicy(siteFor(scope, params.site_id)!)),
    }),
    defineRoute({
      method: 'PUT',
      path: '/v1/admin/sites/{site_id}/policy',
      operationId: 'setSitePolicy',
      tag: 'sites',
      summary: "Replace the site's privacy policy",
      description: 'Applies to every delivery not sent yet, retries included.',
      params: s.siteParams,
      body: sitePolicySchema,
      responses: { 200: json('The stored policy.', sitePolicySchema) },
      errors: NOT_FOUND,
      handler: async ({ params, body, scope }) => ok(await svc().setSitePolicy(siteFor(scope, params.site_id)!, body)),
    }),

    // ── Destinations ──
    defineRoute({
      method: 'GET',
      path: '/v1/admin/destination-types',
      operationId: 'listDestinationTypes',
      tag: 'destinations',
      summary: 'The destinations this relay can deliver to, with their settings as JSON Schema',
      description: 'Render connection forms from these: field titles, help texts, which fields are secret, required and defaults.',
      responses: { 200: json('Every destination type.', s.listOf('types', s.destinationTypeSchema)) },
      handler: async () => ok({ types: svc().destinationTypes() }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/destinations',
      operationId: 'listDestinations',
      tag: 'destinations',
      summary: 'List destinations (connections) with masked secrets',
      query: s.destinationListQuery,
      responses: { 200: json('The destinations.', s.listOf('destinations', s.destinationSchema)) },
      errors: NOT_FOUND,
      handler: async ({ query, scope }) => ok({ destinations: await svc().listDestinations({ ...query, site: siteFor(scope, query.site) }) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/destinations',
      operationId: 'createDestination',
      tag: 'destinations',
      summary: 'Connect a site to a destination',
      description: 'Settings are validated by the destination\'s settings schema; a 400 names each invalid field (settings.<field>).',
      body: s.destinationCreateBody,
      responses: { 201: json('Created.', s.destinationSchema) },
      errors: { ...NOT_FOUND, 409: 'The site is already connected to this destination.' },
      handler: async ({ body, scope }) => created(await svc().createDestination({ ...body, site_id: siteFor(scope, body.site_id)! })),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/destinations/{id}',
      operationId: 'getDestination',
      tag: 'destinations',
      summary: 'One destination',
      params: s.destinationParams,
      responses: { 200: json('The destination.', s.destinationSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().getDestination(params.id));
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/admin/destinations/{id}',
      operationId: 'updateDestination',
      tag: 'destinations',
      summary: 'Change settings, mode or enabled',
      description: 'Changed settings are validated and un-park the destination (new credentials get a new try).',
      params: s.destinationParams,
      body: s.destinationPatchBody,
      responses: { 200: json('The destination.', s.destinationSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, body, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().updateDestination(params.id, body));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/admin/destinations/{id}',
      operationId: 'deleteDestination',
      tag: 'destinations',
      summary: 'Disconnect: delete a destination and its delivery history',
      params: s.destinationParams,
      responses: {
        200: json('Deleted.', z.object({ deleted: z.object({ destination: z.number().int(), deliveries: z.number().int() }) })),
      },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().deleteDestination(params.id));
      },
    }),
    ...(['enable', 'disable'] as const).map((action) =>
      defineRoute({
        method: 'POST',
        path: `/v1/admin/destinations/{id}/${action}`,
        operationId: `${action}Destination`,
        tag: 'destinations',
        summary: action === 'enable' ? 'Start delivering to this destination' : 'Stop delivering (new events are not queued for it)',
        params: s.destinationParams,
        responses: { 200: json('The destination.', s.destinationSchema) },
        errors: NOT_FOUND,
        handler: async ({ params, scope }) => {
          await ownDestination(svc(), scope, params.id);
          return ok(await svc().updateDestination(params.id, { enabled: action === 'enable' }));
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/destinations/{id}/mode',
      operationId: 'setDestinationMode',
      tag: 'destinations',
      summary: 'Switch between live and dry run',
      params: s.destinationParams,
      body: z.object({ mode: s.modeSchema }).strict(),
      responses: { 200: json('The destination.', s.destinationSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, body, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().updateDestination(params.id, { mode: body.mode }));
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/v1/admin/destinations/{id}/event-map',
      operationId: 'setDestinationEventMap',
      tag: 'destinations',
      summary: 'Replace the per-site event map overrides',
      description:
        'Canonical event name → platform event name, or null to stop forwarding it; overrides the destination\'s default map ' +
        '(default_event_map in destination-types). null or {} removes every override.',
      params: s.destinationParams,
      body: z.object({ event_map: eventMapOverridesSchema.nullable() }).strict(),
      responses: { 200: json('The destination.', s.destinationSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, body, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().setEventMap(params.id, body.event_map));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/admin/destinations/{id}/test',
      operationId: 'testDestination',
      tag: 'destinations',
      summary: 'Test the connection with the platform',
      description: 'Runs the destination\'s own connection check (it sends nothing that counts as a conversion) and returns its diagnosis.',
      params: s.destinationParams,
      responses: { 200: json('The diagnosis (ok or not: this call itself succeeded).', s.diagnosisSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().testDestination(params.id));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/destinations/{id}/stats',
      operationId: 'getDestinationStats',
      tag: 'stats',
      summary: 'Delivery statistics of one destination',
      params: s.destinationParams,
      query: s.destinationStatsQuery,
      responses: { 200: json('Counts by status, success rate, latency percentiles and chart buckets.', s.destinationStatsSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, query, scope }) => {
        await ownDestination(svc(), scope, params.id);
        return ok(await svc().destinationStats(params.id, query));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/stats',
      operationId: 'listStats',
      tag: 'stats',
      summary: 'Delivery statistics of every destination',
      query: s.statsQuery,
      responses: { 200: json('One entry per destination.', s.listOf('destinations', s.destinationStatsSchema)) },
      errors: NOT_FOUND,
      handler: async ({ query, scope }) => ok({ destinations: await svc().stats({ ...query, site: siteFor(scope, query.site) }) }),
    }),

    // ── Events and deliveries ──
    defineRoute({
      method: 'GET',
      path: '/v1/admin/events',
      operationId: 'searchEvents',
      tag: 'events',
      summary: 'Search events, newest first, with their deliveries and decisions',
      query: s.eventsQuery,
      queryHint: EVENTS_HINT,
      responses: {
        200: json(
          'A page of events; pass next_cursor as cursor for the next one.',
          z.object({ events: z.array(s.eventSchema), next_cursor: z.string().optional().describe('Present when there are more events.') }),
        ),
      },
      handler: async ({ query, scope }) => ok(await svc().searchEvents({ ...query, site: siteFor(scope, query.site) })),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/events/{site_id}/{event_id}',
      operationId: 'getEvent',
      tag: 'events',
      summary: 'One event with its deliveries and decisions',
      params: s.eventParams,
      responses: { 200: json('The event.', s.eventSchema) },
      errors: NOT_FOUND,
      handler: async ({ params, scope }) => ok(await svc().getEvent(siteFor(scope, params.site_id)!, params.event_id)),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/deliveries',
      operationId: 'listDeliveries',
      tag: 'deliveries',
      summary: 'List deliveries by status, destination or site, most recently updated first',
      query: s.deliveriesQuery,
      responses: {
        200: json('A page of deliveries (without payloads).', z.object({ deliveries: z.array(s.deliveryRowSchema), next_cursor: z.string().optional().describe('Present when there are more deliveries.') })),
      },
      handler: async ({ query, scope }) => ok(await svc().listDeliveries({ ...query, site: siteFor(scope, query.site) })),
    }),

    // ── Replay ──
    defineRoute({
      method: 'POST',
      path: '/v1/admin/replays',
      operationId: 'replay',
      tag: 'replays',
      summary: 'Send settled deliveries again: one event, one destination, or a time window',
      description:
        'Allowed only while each platform still accepts the event (its maximum event age, with 5 minutes to spare); older ones are ' +
        'refused with the reason. Every replay is recorded with who asked and when (GET /v1/admin/replays).',
      body: s.replayBody,
      responses: { 201: json('Requeued (some may have been refused; see refused).', s.replayResultSchema) },
      errors: {
        404: 'No such event, site or destination, or no delivery to replay.',
        422: 'Refused: every matching delivery is too old for its platform (replay_refused), or too many match (too_many).',
      },
      handler: async ({ body, actor, scope }) => {
        if (body.destination_id !== undefined) await ownDestination(svc(), scope, body.destination_id);
        // A site cannot choose who is recorded: the actor names the site.
        const by = scope.kind === 'site' ? actor : (body.requested_by ?? actor);
        return created(await svc().replay({ ...body, site_id: siteFor(scope, body.site_id) }, by));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/admin/replays',
      operationId: 'listReplays',
      tag: 'replays',
      summary: 'Recorded replays, newest first',
      query: s.replaysQuery,
      responses: { 200: json('The replays.', s.listOf('replays', s.replaySchema)) },
      handler: async ({ query, scope }) => ok({ replays: await svc().listReplays(query.limit, siteFor(scope, undefined)) }),
    }),

    // ── Privacy ──
    defineRoute({
      method: 'POST',
      path: '/v1/admin/privacy/delete',
      operationId: 'privacyDelete',
      tag: 'privacy',
      summary: 'Delete everything about a person',
      description:
        'Deletes the events carrying any of the given identifiers (hashed, as in events), their deliveries and payloads, their dedup ' +
        'decisions and order keys. The request is recorded with counts and the kinds of identifier, never the identifiers.',
      body: s.privacyDeleteBody,
      responses: { 200: json('What was deleted.', s.privacyDeleteResultSchema) },
      errors: NOT_FOUND,
      handler: async ({ body, actor, scope }) =>
        ok(await svc().privacyDelete({ ...body, site_id: siteFor(scope, body.site_id) }, scope.kind === 'site' ? actor : (body.requested_by ?? actor))),
    }),

    // ── Export ──
    defineRoute({
      method: 'GET',
      path: '/v1/admin/export/{kind}',
      operationId: 'exportData',
      tag: 'export',
      summary: 'Stream events or deliveries as CSV or NDJSON',
      description:
        'Streamed as it is read (no size limit). Identity fields only as SHA-256 hashes; no payloads, IP addresses, user agents, URLs, ' +
        'settings or secrets. CSV cells starting with =, +, -, @, tab or CR are prefixed with \' so spreadsheets do not run them.',
      params: s.exportParams,
      query: s.exportQuery,
      responses: {
        200: {
          description: 'The export.',
          stream: { 'text/csv': 'CSV with a header row.', 'application/x-ndjson': 'One JSON object per line.' },
        },
      },
      handler: async ({ params, query, req, scope }) => {
        const service = svc();
        const site = siteFor(scope, query.site);
        const now = service.clockNow();
        const since = query.since === undefined ? undefined : parseTimeInput(query.since, now);
        const until = query.until === undefined ? undefined : parseTimeInput(query.until, now);
        const stream = exportStream(req.server.store, params.kind, query.format, {
          siteId: site,
          since,
          until,
          slug: query.destination,
          statuses: query.status,
        });
        const day = new Date(now).toISOString().slice(0, 10);
        return {
          status: 200 as const,
          stream,
          contentType: query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
          filename: `layersync-${params.kind}-${day}.${query.format === 'csv' ? 'csv' : 'ndjson'}`,
        };
      },
    }),
  ];
  return routes;
}

/** The document as served and committed. */
export function adminOpenApiDocument(): Record<string, unknown> {
  return buildOpenApiDocument(
    adminRouteList(() => {
      throw new Error('documentation only');
    }),
    { version: ADMIN_API_VERSION },
  );
}

export async function adminRoutes(app: FastifyInstance, opts: AdminRouteOptions): Promise<void> {
  const bearer = bearerGuard({
    token: opts.adminToken,
    disabledMessage: 'the admin API is disabled; start the relay with LAYERSYNC_ADMIN_TOKEN set to enable it',
  });
  const siteSigned = (req: FastifyRequest) => req.headers.authorization === undefined && looksSiteSigned(req.headers);
  // A bearer token is checked at once; a site signature covers the body, so it is checked once
  // the body is read (preValidation), and nothing is parsed before it is verified.
  app.addHook('onRequest', async (req, reply) => {
    if (siteSigned(req)) return;
    return bearer(req, reply);
  });

  // Lets a connection test tell which relay answered (WordPress shows it).
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-layersync-relay-version', RELAY_VERSION);
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('preValidation', async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
    if (siteSigned(req)) {
      const auth = await verifySiteRequest(app, req.headers, raw ?? Buffer.alloc(0), opts.signatureToleranceSeconds ?? 300);
      if (!auth.ok) return reply.code(auth.error === 'replayed_request' ? 409 : 401).send({ error: auth.error, message: auth.message });
      setScope(req, { kind: 'site', siteId: auth.siteId });
    }
    if (raw === undefined) return;
    if (raw.length === 0) {
      req.body = undefined;
      return;
    }
    try {
      // Own keys named __proto__ or constructor are dropped (prototype poisoning), as fastify's parser does.
      req.body = JSON.parse(raw.toString('utf8'), (key, value: unknown) => (key === '__proto__' || key === 'constructor' ? undefined : value));
    } catch (err) {
      return reply.code(400).send({ error: 'invalid_body', message: `the body is not valid JSON (${(err as Error).message})` });
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'send the body as JSON with Content-Type: application/json' });
    }
    if (err instanceof StoreUnavailableError) {
      req.log.error({ err }, 'store unavailable');
      return reply.code(503).header('retry-after', '5').send({ error: 'store_unavailable', message: 'the relay\'s store does not answer right now; retry later' });
    }
    if (err instanceof VaultError) {
      req.log.error({ code: err.code, message: err.message }, 'vault error');
      return reply.code(500).send({ error: 'vault_error', message: err.message });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.statusCode === 413 ? 'body_too_large' : 'invalid_body', message: err.message });
    }
    req.log.error({ err }, 'admin request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'the relay failed to answer; see its log' });
  });

  const service = new AdminService({
    store: app.store,
    registry: app.registry,
    clock: app.clock,
    http: app.http,
    baseUrls: opts.baseUrls,
    kick: () => app.worker?.kick(),
    retentionDays: opts.retentionDays,
  });
  registerRoutes(app, adminRouteList(() => service));

  // The WordPress plugin's personal-data eraser (docs/CONTRACT.md, "Privacy delete"): signed with
  // the site secret, hashes only, always confined to the signing site. Kept apart from the admin
  // route so a plugin needs no admin vocabulary, only the identity keys it already sends.
  const eraserBody = z
    .object({ external_id: s.sha256.optional(), em: s.sha256.optional(), ph: s.sha256.optional() })
    .strict()
    .refine((b) => b.external_id !== undefined || b.em !== undefined || b.ph !== undefined, {
      message: 'give at least one of external_id, em, ph',
    });
  app.post('/v1/privacy/delete', async (req, reply) => {
    const scope = scopeOf(req);
    if (scope.kind !== 'site') {
      return reply.code(401).send({ error: 'missing_headers', message: 'sign this request with the site secret like an ingest request (docs/CONTRACT.md)' });
    }
    const parsed = eraserBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: 'invalid_body', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
    }
    const b = parsed.data;
    const result = await service.privacyDelete(
      {
        site_id: scope.siteId,
        ...(b.external_id ? { external_id_sha256: b.external_id } : {}),
        ...(b.em ? { email_sha256: b.em } : {}),
        ...(b.ph ? { phone_sha256: b.ph } : {}),
        dry_run: false,
      },
      `site:${scope.siteId} (personal-data eraser)`,
    );
    return reply.code(200).send({ deleted: result.deleted.events });
  });
}
