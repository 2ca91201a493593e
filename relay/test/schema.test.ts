import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEventJsonSchema } from '../src/contract/json-schema.js';

describe('relay/schema/event.schema.json', () => {
  it('is up to date with the zod contract (run `npm run schema -w relay` and commit)', () => {
    const committed = readFileSync(new URL('../schema/event.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderEventJsonSchema());
  });

  it('is deterministic and describes the wire format', () => {
    expect(renderEventJsonSchema()).toBe(renderEventJsonSchema());
    const doc = JSON.parse(renderEventJsonSchema()) as {
      required: string[];
      additionalProperties: boolean;
      $defs: { ingest_request: { properties: { events: { items: unknown; maxItems: number; minItems: number } } } };
    };
    // Senders may omit fields the relay defaults (context, identity).
    expect(doc.required).toEqual(['event_id', 'event_name', 'event_time', 'source']);
    expect(doc.additionalProperties).toBe(false);
    expect(doc.$defs.ingest_request.properties.events).toMatchObject({ items: { $ref: '#' }, minItems: 1, maxItems: 500 });
  });
});
