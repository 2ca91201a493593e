/**
 * Writes relay/schema/event.schema.json from the zod contract and refreshes the field table in
 * relay/README.md (`npm run schema -w relay`). Commit both; test/schema.test.ts fails when
 * either is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceFieldTable } from '../src/contract/fields.js';
import { renderEventJsonSchema } from '../src/contract/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'schema/event.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, renderEventJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);

const readme = path.join(root, 'README.md');
writeFileSync(readme, replaceFieldTable(readFileSync(readme, 'utf8')));
console.log(`updated the field table in ${path.relative(process.cwd(), readme)}`);
