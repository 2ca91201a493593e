// Prints the storefront tracker's sizes: the core (plugin/build/tracker.js) against its 8 KB
// gzipped budget, and the two feature modules the core loads only when a page needs them.
// Usage: npm run build -w assets-src/tracker && node bench/tracker-size.mjs
import { existsSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET = 8 * 1024;
const dir = fileURLToPath(new URL('../plugin/build/', import.meta.url));
const files = [
  ['tracker.js', 'core: every page'],
  ['tracker-shop.js', 'WooCommerce / form / headless pages'],
  ['tracker-pixels.js', 'only when a pixel is enabled and consented'],
];

const sizes = {};
console.log('file                 bytes   gzip -9   brotli   loaded on');
for (const [name, when] of files) {
  const path = dir + name;
  if (!existsSync(path)) {
    console.error(`${name} is missing: run npm run build -w assets-src/tracker first`);
    process.exit(1);
  }
  const buf = readFileSync(path);
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  sizes[name] = gz;
  console.log(`${name.padEnd(18)} ${String(buf.length).padStart(7)} ${String(gz).padStart(9)} ${String(br).padStart(8)}   ${when}`);
}
const core = sizes['tracker.js'];
console.log('');
console.log(`core: ${core} B gzipped of the ${BUDGET} B budget (${((core / BUDGET) * 100).toFixed(1)}%, ${BUDGET - core} B left)`);
console.log(`pixel chunk: ${sizes['tracker-pixels.js']} B gzipped, outside the core budget (the platforms' own pixel scripts come on top)`);
console.log(`a shop page loads core + shop module: ${core + sizes['tracker-shop.js']} B gzipped; with pixels: ${core + sizes['tracker-shop.js'] + sizes['tracker-pixels.js']} B`);
console.log('for comparison (DESIGN.md): existing plugins ship 50-67 KB gzipped of their own JS before the pixels');
if (core > BUDGET) {
  console.error(`over budget by ${core - BUDGET} B`);
  process.exit(1);
}
