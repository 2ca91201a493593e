/**
 * Shared bench machinery: paths, the built relay (its CLI, signing and UUIDv7 from relay/dist),
 * child processes that stop with the bench, events that a strict Meta accepts, and the numbers
 * (percentiles, RSS, CPU) every bench prints.
 *
 * Everything listens on 127.0.0.1 only. Every child is killed when the bench exits, even on a
 * crash, so a failed run leaves no relay, fake or load generator behind.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);
export const RELAY_DIR = path.join(ROOT, 'relay');
/** BENCH_RELAY_CLI points the benches at another build (A/B of a patched copy of dist/). */
export const CLI = process.env.BENCH_RELAY_CLI ? path.resolve(process.env.BENCH_RELAY_CLI) : path.join(RELAY_DIR, 'dist', 'src', 'cli.js');

/** Resolves packages the way the relay does (fastify, better-sqlite3, undici live in its tree). */
export const relayRequire = createRequire(path.join(RELAY_DIR, 'package.json'));

/** The relay's own signing and UUIDv7, from the build: the bench signs exactly like the SDK. */
export async function relayLib() {
  const sign = await import(pathToFileURL(path.join(RELAY_DIR, 'dist', 'src', 'sign.js')).href);
  const ids = await import(pathToFileURL(path.join(RELAY_DIR, 'dist', 'src', 'util', 'uuidv7.js')).href);
  return { computeSignature: sign.computeSignature, signRequest: sign.signRequest, uuidv7: ids.uuidv7 };
}

/** What the fake Meta server accepts by default (relay/test/fakes/meta-server.ts). */
export const FAKE_META_TOKEN = 'fake-meta-access-token-0123456789';
export const FAKE_META_PIXEL_ID = '1234567890123456';

const sha = (s) => createHash('sha256').update(s).digest('hex');
const EM = sha('jane.doe@example.com');
const PH = sha('4915112345678');
const XID = sha('customer-4711');
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/**
 * A realistic storefront event, valid for the relay's contract and for the strict fake Meta.
 * - `add_to_cart` (default, ~650 bytes of JSON, about the size ENVIRONMENT.md measured with):
 *   page context, a hashed email and fbp, one item, consent. Most storefront volume looks
 *   like this (page views and cart events).
 * - `purchase` (~1,050 bytes): a checkout with phone, external id and two items.
 */
export function makeEvent(eventId, nowS, i = 0, kind = 'add_to_cart') {
  const consent = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
  if (kind === 'purchase') {
    return {
      event_id: eventId,
      event_name: 'purchase',
      event_time: nowS,
      source: 'browser',
      context: {
        url: `https://shop.example.com/checkout/order-received/${10000 + (i % 90000)}/?key=wc_order_x7f3k2`,
        referrer: 'https://shop.example.com/checkout/',
        user_agent: UA,
        ip: `203.0.113.${i % 250}`,
        locale: 'en-US',
      },
      identity: { em: EM, ph: PH, external_id: XID, fbp: 'fb.1.1732390000000.1234567890' },
      commerce: {
        order_id: String(10000 + i),
        value: 59.9,
        currency: 'EUR',
        items: [
          { id: 'sku-1001', name: 'Organic cotton T-shirt', price: 24.95, quantity: 2 },
          { id: 'sku-2002', name: 'Canvas tote bag', price: 10, quantity: 1 },
        ],
      },
      consent,
    };
  }
  return {
    event_id: eventId,
    event_name: 'add_to_cart',
    event_time: nowS,
    source: 'browser',
    context: {
      url: `https://shop.example.com/product/organic-cotton-t-shirt-${i % 500}/`,
      user_agent: UA,
      ip: `203.0.113.${i % 250}`,
    },
    identity: { em: EM, fbp: 'fb.1.1732390000000.1234567890' },
    commerce: { value: 24.95, currency: 'EUR', items: [{ id: `sku-${1000 + (i % 500)}`, price: 24.95, quantity: 1 }] },
    consent,
  };
}

/** A free loopback port (the OS picks; the bench binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * BENCH_NICE=-10 (root only) runs every bench process — servers, relay, fake, load tools — at
 * that scheduling priority, so other work on a shared machine disturbs the figures less. `nice`
 * execs the command, so the pid stays the process's own.
 */
export function niced(cmd, args) {
  const n = process.env.BENCH_NICE;
  return n ? ['nice', ['-n', String(n), cmd, ...args]] : [cmd, args];
}

const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns a child that dies with the bench. `ready` (a RegExp) resolves `started` once a line of
 * its stdout/stderr matches; output goes to `logFile` when given.
 */
export function startChild(cmd, args, { env = {}, cwd = ROOT, ready, readyTimeoutMs = 20_000, onLine } = {}) {
  const child = spawn(...niced(cmd, args), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const tail = [];
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  let resolveReady;
  let rejectReady;
  const started = new Promise((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  if (!ready) resolveReady();
  const timer = ready
    ? setTimeout(() => rejectReady(new Error(`${path.basename(args[0] ?? cmd)} did not start within ${readyTimeoutMs} ms:\n${tail.join('\n')}`)), readyTimeoutMs)
    : undefined;
  const onData = (buf) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      if (tail.length > 40) tail.shift();
      tail.push(line);
      onLine?.(line);
      if (ready?.test(line)) {
        clearTimeout(timer);
        resolveReady(line);
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  void exited.then(({ code, signal }) => {
    clearTimeout(timer);
    rejectReady(new Error(`${path.basename(args[0] ?? cmd)} exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`));
  });
  return { child, pid: child.pid, started, exited, tail };
}

/** Stops a child with a signal and waits (SIGKILL after `graceMs`). */
export async function stopChild(c, signal = 'SIGTERM', graceMs = 15_000) {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return c.exited;
  c.child.kill(signal);
  const t = setTimeout(() => c.child.kill('SIGKILL'), graceMs);
  const r = await c.exited;
  clearTimeout(t);
  return r;
}

/** Runs the built CLI to completion (sites add, connect meta). */
export function relayCli(args, env) {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
}

/**
 * Starts `layersync-relay start` and waits for /readyz. Its logs go straight to `logFile` (a
 * file descriptor, not a pipe through this process, so the bench costs the relay nothing extra).
 */
export async function startRelay({ dbPath, port, env = {}, logFile }) {
  const fd = openSync(logFile, 'a');
  // BENCH_RELAY_NODE_ARGS: node flags NODE_OPTIONS refuses (--cpu-prof --cpu-prof-dir=DIR), for the relay only.
  const nodeArgs = (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(...niced(process.execPath, [...nodeArgs, CLI, 'start']), {
    cwd: ROOT,
    env: {
      ...process.env,
      LAYERSYNC_DB: dbPath,
      LAYERSYNC_HOST: '127.0.0.1',
      LAYERSYNC_PORT: String(port),
      // Node flags for the relay only (e.g. --max-semi-space-size=4, --cpu-prof).
      ...(process.env.BENCH_RELAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_RELAY_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const dead = exited.then(({ code, signal }) => {
    throw new Error(`the relay exited (${code ?? signal}) during start-up; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
  });
  await Promise.race([waitForHttp(`${url}/readyz`), dead]);
  dead.catch(() => undefined);
  return { child, pid: child.pid, exited, url, logFile };
}

export async function waitForHttp(url, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat minus idle and iowait). */
export function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - f[4]) / 100;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

/** Prints an aligned table. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** Opens the relay's SQLite file read-only (better-sqlite3 from the relay's tree). */
export function openDb(dbPath, { readonly = true } = {}) {
  const Database = relayRequire('better-sqlite3');
  return new Database(dbPath, { readonly, fileMustExist: true });
}
