/**
 * The JSON Schema generated from the zod contract, committed as relay/schema/event.schema.json
 * for the PHP and tracker tests. Input-side ("io: input"): it describes what a sender may send,
 * so fields with defaults (context, identity) are optional, as they are on the wire.
 */
import { z } from 'zod';
import { canonicalEventSchema, ingestEnvelopeSchema } from './event.js';

export const SCHEMA_ID = 'https://layersync.dev/schema/v1/event.schema.json';

/** The document: the canonical event at the root, the ingest request body under $defs. */
export function buildEventJsonSchema(): Record<string, unknown> {
  const event = z.toJSONSchema(canonicalEventSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const envelope = z.toJSONSchema(ingestEnvelopeSchema, { io: 'input', target: 'draft-2020-12' }) as unknown as {
    $schema?: string;
    properties: { events: Record<string, unknown> };
  };
  delete envelope.$schema;
  // The envelope's items are validated one by one at run time (z.unknown()); in the document
  // they are canonical events, so a sender's whole body can be checked in one go.
  envelope.properties.events.items = { $ref: '#' };
  const { $schema, ...rest } = event;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'LayerSync canonical event',
    description:
      'Generated from relay/src/contract/event.ts by `npm run schema --workspace relay`; do not edit. ' +
      'The root validates one event; $defs.ingest_request validates the POST /v1/events body.',
    ...rest,
    $defs: { ingest_request: { title: 'LayerSync ingest request body', ...envelope } },
  };
}

/** The file's exact text: stable key order from the zod definitions, two-space indent, final newline. */
export function renderEventJsonSchema(): string {
  return `${JSON.stringify(buildEventJsonSchema(), null, 2)}\n`;
}
