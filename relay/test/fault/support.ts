/**
 * Support for the fault-injection suites: the built relay as a real child process (so kill -9
 * is a real crash), the built CLI, signed requests, and direct reads of the relay's SQLite file.
 *
 * The suites read the `events` and `deliveries` tables directly instead of going through the
 * admin API: after a crash the file is the only truth there is.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runCli } from '../../src/cli/program.js';
import { loadConfig, type Config } from '../../src/config.js';
import { destinations } from '../../src/destinations/registry.js';
import { signRequest } from '../../src/sign.js';
import { uuidv7 } from '../../src/util/uuidv7.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN } from '../fakes/meta-server.js';

export const RELAY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(RELAY_DIR, 'dist', 'src', 'cli.js');
export const SITE = 'fault-site';
export const SECRET = 'f'.repeat(64);
const EMAIL_HASH = '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b';

/** Runs `layersync-relay <args>` in process against `dbPath` (cli() runs the built one); throws with the CLI's error output on a non-zero exit. */
export async function inProcessCli(dbPath: string, args: string[]): Promise<void> {
  const err: string[] = [];
  const code = await runCli(args, { env: { LAYERSYNC_DB: dbPath }, out: () => undefined, err: (s) => err.push(s), registry: destinations });
  if (code !== 0) throw new Error(`layersync-relay ${args.join(' ')} failed: ${err.join('')}`);
}

/**
 * The configuration of a relay started in process on `dbPath` (startServer) by the suites that
 * drive fake platforms: quiet, a 50 ms worker, no merge hold, no rate limit, a short shutdown,
 * any free port; `env` adds the fakes' base URLs.
 */
export function inProcessConfig(dbPath: string, env: Record<string, string> = {}): Config {
  return {
    ...loadConfig({
      LAYERSYNC_DB: dbPath,
      LAYERSYNC_LOG_LEVEL: 'silent',
      LAYERSYNC_WORKER_INTERVAL_MS: '50',
      LAYERSYNC_MERGE_WINDOW_SECONDS: '0',
      LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: '0',
      LAYERSYNC_SHUTDOWN_TIMEOUT_MS: '1000',
      ...env,
    }),
    port: 0,
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds relay/dist when a source file is newer than the built CLI. Suites in parallel forks
 * serialize on a lock file (flock). Type errors in files others are editing do not stop the
 * emit, so a failing exit code is tolerated as long as the CLI exists afterwards.
 */
export function ensureBuilt(): void {
  const fresh = () => existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(path.join(RELAY_DIR, 'src'));
  if (fresh()) return;
  const tsc = path.join(RELAY_DIR, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync('flock', [path.join(tmpdir(), 'layersync-relay-build.lock'), process.execPath, tsc, '-p', 'tsconfig.build.json'], {
      cwd: RELAY_DIR,
      stdio: 'pipe',
      timeout: 120_000,
    });
  } catch {
    // type errors still emit JavaScript; the check below decides
  }
  if (!existsSync(CLI)) throw new Error(`could not build the relay: ${CLI} is missing`);
}

export function tempDir(prefix = 'layersync-fault-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Runs the built CLI (sites add, connect meta) against `dbPath`. */
export function cli(dbPath: string, args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], {
    cwd: RELAY_DIR,
    env: { ...process.env, LAYERSYNC_DB: dbPath },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

/** A site with SECRET and, with a fake Meta url, a live Meta connection. */
export function setUpSite(dbPath: string, meta: boolean): void {
  cli(dbPath, ['sites', 'add', '--id', SITE, '--secret', SECRET]);
  if (meta) cli(dbPath, ['connect', 'meta', '--site', SITE, '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN]);
}

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/src/cli.js start` on `port` and waits for /readyz. Defaults suited to fault
 * tests: a 50 ms worker interval, no merge window (deliver as soon as stored), no rate limit.
 * `clockOffsetMs` starts the process with Date.now shifted forward (a preloaded module): the
 * restart then happens "after" a lease has expired without the test waiting for it.
 */
export async function startRelay(opts: {
  dbPath: string;
  port: number;
  env?: Record<string, string>;
  clockOffsetMs?: number;
  waitReady?: boolean;
}): Promise<RelayProcess> {
  const args: string[] = [];
  if (opts.clockOffsetMs) {
    const shim = path.join(path.dirname(opts.dbPath), 'clock-offset.mjs');
    writeFileSync(shim, `const real = Date.now; Date.now = () => real() + ${Math.trunc(opts.clockOffsetMs)};\n`);
    args.push('--import', shim);
  }
  const child = spawn(process.execPath, [...args, CLI, 'start'], {
    cwd: RELAY_DIR,
    env: {
      ...process.env,
      LAYERSYNC_DB: opts.dbPath,
      LAYERSYNC_HOST: '127.0.0.1',
      LAYERSYNC_PORT: String(opts.port),
      LAYERSYNC_LOG_LEVEL: 'warn',
      LAYERSYNC_WORKER_INTERVAL_MS: '50',
      LAYERSYNC_MERGE_WINDOW_SECONDS: '0',
      LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: '0',
      LAYERSYNC_SHUTDOWN_TIMEOUT_MS: '2000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (b: Buffer) => {
    output.push(...b.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const relay = { child, url: `http://127.0.0.1:${opts.port}`, output, exited };
  if (opts.waitReady !== false) await waitReady(relay);
  return relay;
}

export async function waitReady(relay: RelayProcess, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (relay.child.exitCode !== null || relay.child.signalCode !== null) {
      throw new Error(`relay exited during start-up:\n${relay.output.join('\n')}`);
    }
    try {
      const res = await fetch(`${relay.url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`relay not ready within ${timeoutMs} ms:\n${relay.output.join('\n')}`);
    await sleep(50);
  }
}

export async function stopRelay(relay: RelayProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!relay || relay.child.exitCode !== null || relay.child.signalCode !== null) return;
  relay.child.kill(signal);
  const t = setTimeout(() => relay.child.kill('SIGKILL'), 10_000);
  await relay.exited;
  clearTimeout(t);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (bounded). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A `lead` event a strict Meta accepts: a server-side website event with URL, UA, IP and email. */
export function leadEvent(eventId = uuidv7()) {
  return {
    event_id: eventId,
    event_name: 'lead',
    event_time: Math.floor(Date.now() / 1000),
    source: 'server',
    context: { url: 'https://shop.example.com/contact/', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', ip: '203.0.113.7' },
    identity: { em: EMAIL_HASH },
  };
}

/**
 * POSTs `events` signed with a fresh request id. Resolves to the HTTP status and the ids the relay
 * acknowledged (202, status accepted or duplicate); a connection error resolves to status 0.
 */
export async function postEvents(url: string, events: Array<{ event_id: string }>, timeoutMs = 5_000): Promise<{ status: number; acked: string[] }> {
  const body = JSON.stringify({ events });
  const headers = signRequest({ siteId: SITE, secret: SECRET, body });
  try {
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const json = (await res.json()) as { results?: Array<{ event_id: string | null; status: string }> };
    if (res.status !== 202) return { status: res.status, acked: [] };
    const acked = (json.results ?? []).filter((r) => r.status === 'accepted' || r.status === 'duplicate').map((r) => r.event_id as string);
    return { status: res.status, acked };
  } catch {
    return { status: 0, acked: [] };
  }
}

export interface DeliveryRow {
  id: number;
  event_id: string;
  status: string;
  attempts: number;
  lease_token: string | null;
  lease_until: number | null;
}

/** Opens the relay's SQLite file (read-write: after a crash the WAL may need recovering). */
export function openDb(dbPath: string): Database.Database {
  const db = new Database(dbPath, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export function storedEventIds(dbPath: string): Set<string> {
  const db = openDb(dbPath);
  try {
    return new Set(db.prepare<[], { event_id: string }>('SELECT event_id FROM events').all().map((r) => r.event_id));
  } finally {
    db.close();
  }
}

export function deliveryRows(dbPath: string): DeliveryRow[] {
  const db = openDb(dbPath);
  try {
    return db
      .prepare<[], DeliveryRow>(
        `SELECT d.id, e.event_id, d.status, d.attempts, d.lease_token, d.lease_until
         FROM deliveries d JOIN events e ON e.id = d.event_pk ORDER BY d.id`,
      )
      .all();
  } finally {
    db.close();
  }
}

/** How often each event id reached the fake in an accepted (2xx) request. */
export function receiptCounts(received: Array<{ body: unknown }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of received) {
    const data = (r.body as { data?: Array<{ event_id?: string }> } | undefined)?.data ?? [];
    for (const e of data) if (e.event_id) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
  }
  return counts;
}
