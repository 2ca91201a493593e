/**
 * The admin API's OpenAPI 3.1 document, generated from the route list and its zod schemas
 * (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Served at
 * /v1/admin/openapi.json and committed as relay/schema/admin.openapi.json
 * (`npm run openapi -w relay`; test/admin/openapi.test.ts fails when the file is stale).
 */
import { z } from 'zod';
import type { AnyRoute, ResponseSpec } from './route-spec.js';
import { errorSchema } from './schemas.js';

type Json = Record<string, unknown>;

/** Named schemas (`.meta({ id })`) collected into components.schemas while generating. */
let components: Record<string, Json> | undefined;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  const defs = out.$defs as Record<string, Json> | undefined;
  delete out.$defs;
  const text = JSON.stringify(out).replace(/"#\/\$defs\//g, '"#/components/schemas/');
  for (const [id, def] of Object.entries(defs ?? {})) {
    const moved = JSON.parse(JSON.stringify(def).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as Json;
    const known = components?.[id];
    if (known && JSON.stringify(known) !== JSON.stringify(moved)) throw new Error(`schema id ${id} is used with two different shapes`);
    if (components) components[id] = moved;
  }
  return JSON.parse(text) as Json;
}

function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  const def = (schema as { _zod?: { def?: { type?: string; shape?: Record<string, z.ZodType> } } } | undefined)?._zod?.def;
  return def?.type === 'object' && def.shape ? def.shape : {};
}

function parameters(route: AnyRoute): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    for (const [name, field] of Object.entries(objectShape(schema))) {
      const s = jsonSchema(field, 'input');
      const description = (s.description as string | undefined) ?? field.description;
      delete s.description;
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: s,
      });
    }
  }
  return out;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is invalid; `issues` names each field.',
  401: 'Missing or wrong bearer token.',
};

function responses(route: AnyRoute): Json {
  const out: Json = {};
  for (const [status, spec] of Object.entries(route.responses) as Array<[string, ResponseSpec]>) {
    out[status] =
      'schema' in spec
        ? { description: spec.description, content: { 'application/json': { schema: jsonSchema(spec.schema, 'output') } } }
        : {
            description: spec.description,
            content: Object.fromEntries(Object.entries(spec.stream).map(([type, d]) => [type, { schema: { type: 'string', description: d } }])),
          };
  }
  const errors: Record<number, string> = { ...ERROR_TEXT, ...route.errors };
  if (route.body) errors[415] = 'The body is not a JSON object.';
  if (route.operatorOnly) errors[403] = 'Signed by a site: only the operator (admin token) may do this.';
  for (const [status, description] of Object.entries(errors)) {
    out[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return out;
}

export function buildOpenApiDocument(routes: readonly AnyRoute[], info: { version: string }): Json {
  components = { Error: {} };
  try {
    return build(routes, info, components);
  } finally {
    components = undefined;
  }
}

function build(routes: readonly AnyRoute[], info: { version: string }, schemas: Record<string, Json>): Json {
  schemas.Error = jsonSchema(errorSchema, 'output');
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const op: Json = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
    };
    const params = parameters(route);
    if (params.length > 0) op.parameters = params;
    if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };
    op.responses = responses(route);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'LayerSync relay admin API',
      version: info.version,
      description:
        'Operate a LayerSync relay: sites and their signing secrets, destinations (platform connections) with masked credentials, ' +
        'events with their deliveries and dedup decisions, statistics, replays within each platform\'s window, privacy deletion and ' +
        'streaming exports. Enabled by LAYERSYNC_ADMIN_TOKEN; send it as a bearer token. Secrets are never returned, only masked (••••abcd). ' +
        'A site may also call it with requests signed by its own secret exactly like ingest (X-LayerSync-Site, -Request-Id, -Timestamp, ' +
        '-Signature; docs/CONTRACT.md, "Admin API for a site"): it then sees and changes only its own data, and relay-wide operations answer 403.',
      license: { name: 'GPL-2.0-or-later', identifier: 'GPL-2.0-or-later' },
    },
    servers: [{ url: 'http://127.0.0.1:8787', description: 'A relay with the default LAYERSYNC_HOST and LAYERSYNC_PORT' }],
    security: [{ adminToken: [] }, { siteSignature: [] }],
    tags,
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The relay\'s LAYERSYNC_ADMIN_TOKEN.' },
        siteSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-LayerSync-Signature',
          description:
            'v1=HMAC-SHA256(site secret, "{request_id}.{timestamp}.{raw body, empty for GET}") with X-LayerSync-Site, X-LayerSync-Request-Id ' +
            'and X-LayerSync-Timestamp, as for ingest. Limits the caller to its own site.',
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

/** The committed file's exact text. */
export function renderOpenApi(doc: Json): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
