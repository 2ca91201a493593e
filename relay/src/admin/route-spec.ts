/**
 * Admin routes as data: method, path, zod schemas for params, query, body and each response, and
 * a handler. The same list registers the fastify routes (validating input, parsing output through
 * its schema) and generates the OpenAPI 3.1 document (openapi.ts), so the document cannot drift
 * from what the relay does.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { describeIssues } from '../ingest/issues.js';
import { scopeOf, type AdminScope } from '../routes/auth.js';
import { AdminError, issuesOf } from './service.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface JsonResponse<S extends z.ZodType = z.ZodType> {
  description: string;
  schema: S;
}
export interface StreamResponse {
  description: string;
  /** Content type → description. */
  stream: Record<string, string>;
}
export type ResponseSpec = JsonResponse | StreamResponse;
type Responses = Record<number, ResponseSpec>;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export type RouteResult<R extends Responses> = {
  [K in keyof R & number]: R[K] extends JsonResponse<infer S>
    ? { status: K; body: z.input<S> }
    : { status: K; stream: Readable; contentType: string; filename?: string };
}[keyof R & number];

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
  /** Who asks: the X-LayerSync-Actor header, else "admin-api" (recorded by replays and privacy deletes). */
  actor: string;
  /** Operator (admin token) or one site (signed with its secret): handlers restrict a site to its own data. */
  scope: AdminScope;
}

export interface RouteSpec<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends Responses = Responses,
> {
  method: HttpMethod;
  /** OpenAPI style: /v1/admin/destinations/{id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: R;
  /** Error statuses besides 400 and 401, with what they mean. */
  errors?: Record<number, string>;
  /** Refused (403) to site-signed callers: relay-wide operations such as creating sites or rotating secrets. */
  operatorOnly?: boolean;
  /** Shown in a 400's message after the problems, e.g. "use ?limit=1-500". */
  queryHint?: string;
  handler(ctx: HandlerContext<Infer<P>, Infer<Q>, Infer<B>>): Promise<RouteResult<R>>;
}

/** Keeps each route's types precise while the list holds them all. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends Responses = Responses,
>(spec: RouteSpec<P, Q, B, R>): AnyRoute {
  return spec as unknown as AnyRoute;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any, Responses>;

export const ok = <T>(body: T) => ({ status: 200 as const, body });
export const created = <T>(body: T) => ({ status: 201 as const, body });

const ACTOR = /^[\x20-\x7e]{1,128}$/;

function fail(reply: FastifyReply, e: AdminError) {
  return reply.code(e.status).send({ error: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) });
}

function parseInput<T extends z.ZodType>(schema: T | undefined, value: unknown, code: string, hint?: string): z.output<T> | undefined {
  if (!schema) return undefined;
  const r = schema.safeParse(value ?? (code === 'invalid_body' ? undefined : {}));
  if (r.success) return r.data;
  throw new AdminError(400, code, `${describeIssues(r.error)}${hint ? `; ${hint}` : ''}`, issuesOf(r.error));
}

/** Registers the routes on `app` (one encapsulated plugin: the caller adds the auth hook). */
export function registerRoutes(app: FastifyInstance, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path.replace(/\{(\w+)\}/g, ':$1'),
      handler: async (req, reply) => {
        let result: { status: number; body?: unknown; stream?: Readable; contentType?: string; filename?: string };
        const scope = scopeOf(req);
        try {
          if (route.operatorOnly && scope.kind === 'site') {
            throw new AdminError(403, 'operator_only', `${route.summary.toLowerCase()} is for the relay's operator (admin token), not for a site`);
          }
          const params = parseInput(route.params, req.params, 'invalid_params');
          const query = parseInput(route.query, req.query, 'invalid_query', route.queryHint);
          if (route.body && req.body === undefined) {
            throw new AdminError(400, 'invalid_body', 'send a JSON body with Content-Type: application/json');
          }
          if (route.body && (typeof req.body !== 'object' || req.body === null)) {
            throw new AdminError(415, 'unsupported_media_type', 'send the body as a JSON object with Content-Type: application/json');
          }
          const body = parseInput(route.body, req.body, 'invalid_body');
          const header = req.headers['x-layersync-actor'];
          const named = typeof header === 'string' && ACTOR.test(header) ? header : undefined;
          // A site's requests are recorded as the site (and whoever it says acted), never as the operator.
          const actor = scope.kind === 'site' ? `site:${scope.siteId}${named ? ` (${named})` : ''}` : (named ?? 'admin-api');
          result = await route.handler({ params, query, body, req, reply, actor, scope });
        } catch (err) {
          if (err instanceof AdminError) return fail(reply, err);
          throw err;
        }
        const spec = route.responses[result.status];
        if (result.stream) {
          reply.code(result.status).header('content-type', result.contentType).header('cache-control', 'no-store');
          if (result.filename) reply.header('content-disposition', `attachment; filename="${result.filename}"`);
          result.stream.on('error', (err) => req.log.error({ err }, 'export stream failed'));
          return reply.send(result.stream);
        }
        if (!spec || !('schema' in spec)) throw new Error(`${route.operationId} answered ${result.status}, which it does not declare`);
        // The response schema is also a whitelist: anything not in it is dropped.
        const out = spec.schema.safeParse(result.body);
        if (!out.success) {
          req.log.error({ operation: route.operationId, problems: describeIssues(out.error) }, 'admin response does not match its schema');
          return reply.code(500).send({ error: 'internal_error', message: 'the relay built an invalid answer (a bug); see its log' });
        }
        return reply.code(result.status).send(out.data);
      },
    });
  }
}
