import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventFieldRows, replaceFieldTable } from '../src/contract/fields.js';
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

describe('relay/README.md field reference', () => {
  it('is up to date with the zod descriptions (run `npm run schema -w relay`)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceFieldTable(readme));
  });

  it('describes every field, and every identity field says how it is normalized', () => {
    const rows = eventFieldRows();
    expect(rows.filter((r) => r.meaning === '').map((r) => r.field)).toEqual([]);
    const identity = rows.filter((r) => r.field.startsWith('identity.'));
    expect(identity.map((r) => r.field)).toEqual(expect.arrayContaining(['identity.em_google', 'identity.em_reddit', 'identity.ph_e164', 'identity.scid']));
    expect(identity.filter((r) => r.normalization === '').map((r) => r.field)).toEqual([]);
  });
});
