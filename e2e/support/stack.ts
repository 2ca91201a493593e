/**
 * The running stack the e2e tests talk to: written by global-setup.ts, read by the tests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Stack {
  wpUrl: string;
  wpDir: string;
  relayUrl: string;
  relayDb: string;
  fakeMetaUrl: string;
  logDir: string;
  dbSocket: string;
  dbName: string;
  siteId: string;
  pixelId: string;
  /** The Meta access token the fake accepts (and the relay's Meta connection was created with). */
  metaToken: string;
  adminToken: string;
}

/** Where global-setup.ts writes the stack: the test profile's directory (LAYERSYNC_HARNESS_DIR moves it). */
export function stateFile(): string {
  return path.join(profileDir(), 'e2e-stack.json');
}

let profile: string | undefined;

/** The harness's test profile directory (scripts/harness.sh env test), asked once per process. */
export function profileDir(): string {
  profile ??= harnessEnv().LAYERSYNC_PROFILE_DIR!;
  return profile;
}

export function readStack(): Stack {
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as Stack;
}

/** Reads `scripts/harness.sh env test` into an object. */
export function harnessEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/harness.sh'), 'env', 'test'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/^export (\w+)='(.*)'$/gm)) env[m[1]!] = m[2]!;
  return env;
}

/** A full dump of the WordPress database, to look for data that must not be there. */
export function dumpWordPressDb(stack: Stack): string {
  return execFileSync(
    'mariadb-dump',
    ['--no-defaults', `--socket=${stack.dbSocket}`, '-uroot', '--skip-extended-insert', stack.dbName],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
