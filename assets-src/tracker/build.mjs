// Bundles the storefront tracker into plugin/build/tracker.js (the core, size-budgeted) and
// plugin/build/tracker-pixels.js (the pixel chunk the core loads only when a pixel is enabled
// and consented), and enforces the core's size budget.
// Usage: node build.mjs [--debug]   (--debug: unminified, verbose console output, same paths)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

export const BUDGET_GZIP_BYTES = 8 * 1024;
const debug = process.argv.includes('--debug');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { version } = JSON.parse(readFileSync(here('./package.json'), 'utf8'));

const bundles = [
  { entry: './src/index.ts', out: '../../plugin/build/tracker.js', budget: BUDGET_GZIP_BYTES },
  { entry: './src/shop/entry.ts', out: '../../plugin/build/tracker-shop.js', note: 'loaded on WooCommerce and form pages' },
  { entry: './src/pixels/entry.ts', out: '../../plugin/build/tracker-pixels.js', note: 'loaded only when a pixel is enabled and consented' },
];

let failed = false;
for (const { entry, out, budget, note } of bundles) {
  const outfile = here(out);
  const result = await build({
    entryPoints: [here(entry)],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    minify: !debug,
    // No sourcemap: plugin/build/ is what ships in the zip.
    sourcemap: false,
    legalComments: 'none',
    write: false,
    define: {
      __LAYERSYNC_VERSION__: JSON.stringify(version),
      __LAYERSYNC_DEBUG__: String(debug),
    },
    logLevel: 'warning',
  });
  let code = result.outputFiles[0].text;
  if (!debug) {
    // A second pass: terser's multi-pass compression and top-level mangling inside the IIFE
    // save ~5% over esbuild alone. ES2019 stays the output level.
    const min = await minify(code, { ecma: 2019, compress: { passes: 3 }, mangle: true, format: { comments: false } });
    code = min.code;
  }
  // plugin/build/ is build output (not in git): a fresh clone has no such directory yet.
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, code);
  const bytes = Buffer.byteLength(code);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const name = out.split('/').pop();
  console.log(`${name}: ${bytes} bytes, ${gzipped} bytes gzipped${budget ? ` (budget ${budget})` : ` (${note})`}`);
  if (budget && !debug && gzipped > budget) {
    console.error(`${name} is over its size budget by ${gzipped - budget} bytes gzipped`);
    failed = true;
  }
}
if (failed) process.exit(1);
