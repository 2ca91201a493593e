/**
 * Writes relay/schema/event.schema.json from the zod contract (`npm run schema -w relay`).
 * Commit the result; test/schema.test.ts fails when the committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEventJsonSchema } from '../src/contract/json-schema.js';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema/event.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, renderEventJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
