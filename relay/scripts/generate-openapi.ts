/**
 * Writes relay/schema/admin.openapi.json from the admin routes' zod schemas (`npm run openapi -w relay`).
 * Commit the result; test/admin/openapi.test.ts fails when the committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderOpenApi } from '../src/admin/openapi.js';
import { adminOpenApiDocument } from '../src/routes/admin.js';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema/admin.openapi.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, renderOpenApi(adminOpenApiDocument()));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
