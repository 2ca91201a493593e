// Bundles the storefront tracker into plugin/build/tracker.js and enforces the size budget.
// Usage: node build.mjs [--debug]   (--debug: unminified, verbose console output, same path)
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET_GZIP_BYTES = 8 * 1024;
const debug = process.argv.includes('--debug');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { version } = JSON.parse(readFileSync(here('./package.json'), 'utf8'));
const outfile = here('../../plugin/build/tracker.js');

await build({
  entryPoints: [here('./src/index.ts')],
  outfile,
  bundle: true,
  format: 'iife',
  target: 'es2019',
  platform: 'browser',
  minify: !debug,
  // No sourcemap: plugin/build/ is what ships in the zip.
  sourcemap: false,
  legalComments: 'none',
  define: {
    __LAYERSYNC_VERSION__: JSON.stringify(version),
    __LAYERSYNC_DEBUG__: String(debug),
  },
  logLevel: 'warning',
});

const bytes = readFileSync(outfile);
const gzipped = gzipSync(bytes, { level: 9 }).length;
console.log(`tracker.js: ${bytes.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZIP_BYTES})`);
if (!debug && gzipped > BUDGET_GZIP_BYTES) {
  console.error(`tracker.js is over its size budget by ${gzipped - BUDGET_GZIP_BYTES} bytes gzipped`);
  process.exit(1);
}
