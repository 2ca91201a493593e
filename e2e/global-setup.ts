/**
 * Starts the stack for the e2e run: a fake Meta Graph API, the relay (fresh SQLite store,
 * one site, Meta live against the fake) and the harness WordPress connected to that relay.
 * Returns the teardown that stops what it started (the harness itself is stopped by
 * scripts/test.sh, which also started it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, harnessEnv, stateFile, waitFor, type Stack } from './support/stack';

/** Resolves once `url` answers 2xx (servers started here take a moment to listen). */
const waitForUrl = (url: string, what: string, timeoutMs = 30_000): Promise<true> =>
  waitFor(`${what} on ${url}`, async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined), timeoutMs);

function startDetached(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): number {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd} ${args.join(' ')}`);
  return child.pid;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const h = harnessEnv();
  const logDir = h.LAYERSYNC_LOG_DIR!;
  mkdirSync(logDir, { recursive: true });
  const relayPort = h.LAYERSYNC_RELAY_PORT!;
  const metaPort = h.LAYERSYNC_FAKE_META_PORT!;
  const relayDb = path.join(h.LAYERSYNC_PROFILE_DIR!, 'relay-e2e.sqlite');
  for (const suffix of ['', '-wal', '-shm']) rmSync(relayDb + suffix, { force: true });

  const siteId = 'e2e-site';
  const secret = randomBytes(32).toString('hex');
  const pixelId = '1234567890123456';
  const metaToken = `EAAB${randomBytes(16).toString('hex')}`;
  const adminToken = randomBytes(24).toString('hex');
  const fakeMetaUrl = `http://127.0.0.1:${metaPort}`;
  const relayUrl = `http://127.0.0.1:${relayPort}`;

  const relayEnv = {
    ...process.env,
    LAYERSYNC_DB: relayDb,
    LAYERSYNC_PORT: relayPort,
    LAYERSYNC_HOST: '127.0.0.1',
    LAYERSYNC_META_BASE_URL: fakeMetaUrl,
    LAYERSYNC_ADMIN_TOKEN: adminToken,
    LAYERSYNC_WORKER_INTERVAL_MS: '200',
  };
  const cli = path.join(ROOT, 'relay/dist/src/cli.js');
  execFileSync('node', [cli, 'sites', 'add', '--id', siteId, '--secret', secret], { env: relayEnv, stdio: 'ignore' });
  execFileSync('node', [cli, 'connect', 'meta', '--site', siteId, '--pixel', pixelId, '--token', metaToken], {
    env: relayEnv,
    stdio: 'ignore',
  });

  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const pids = [
    startDetached(
      tsx,
      [path.join(ROOT, 'relay/test/fakes/meta-server.ts'), '--port', metaPort, '--tokens', metaToken, '--pixels', pixelId],
      process.env,
      path.join(logDir, 'fake-meta.log'),
    ),
    startDetached('node', [cli, 'start'], relayEnv, path.join(logDir, 'relay.log')),
  ];
  await waitForUrl(`${fakeMetaUrl}/__received`, 'fake Meta server');
  await waitForUrl(`${relayUrl}/readyz`, 'relay');

  // Connect the (already running) harness WordPress to this relay.
  execFileSync('bash', [path.join(ROOT, 'scripts/harness.sh'), 'start', 'test'], {
    env: { ...process.env, LAYERSYNC_RELAY_URL: relayUrl, LAYERSYNC_SITE_ID: siteId, LAYERSYNC_SECRET: secret },
    stdio: 'inherit',
  });

  const stack: Stack = {
    wpUrl: h.LAYERSYNC_WP_URL!,
    wpDir: h.LAYERSYNC_WP_DIR!,
    relayUrl,
    relayDb,
    fakeMetaUrl,
    logDir,
    dbSocket: h.LAYERSYNC_DB_SOCKET!,
    dbName: h.LAYERSYNC_DB_NAME!,
    siteId,
    pixelId,
    metaToken,
    adminToken,
  };
  writeFileSync(stateFile(), JSON.stringify(stack, null, 2));

  return async () => {
    for (const pid of pids) killGroup(pid);
  };
}
