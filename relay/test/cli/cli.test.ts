import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { formatEvent } from '../../src/cli/stream.js';
import { canonicalEventSchema } from '../../src/contract/event.js';
import { destinations } from '../../src/destinations/registry.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openVaultedStore } from '../../src/vault/open.js';
import type { EventView } from '../../src/store/types.js';
import { EMAIL_HASH, makeEvent, tempDir } from '../helpers.js';

const RELAY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOKEN = 'EAAB-a-long-conversions-api-token-000';

describe('layersync-relay CLI', () => {
  let t: ReturnType<typeof tempDir>;
  let db: string;

  beforeEach(() => {
    t = tempDir();
    db = path.join(t.dir, 'data', 'relay.sqlite');
  });
  afterEach(() => t.cleanup());

  /** The relay's store as the relay opens it: with the vault key file next to the database. */
  const openStore = () => openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: () => undefined, warn: () => undefined } }).store;

  async function cli(args: string[], opts: { env?: Record<string, string>; signal?: AbortSignal } = {}) {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      env: { LAYERSYNC_DB: db, ...opts.env },
      out: (s) => (out += s),
      err: (s) => (err += s),
      registry: destinations,
      signal: opts.signal,
    });
    return { code, out, err };
  }

  describe('sites add', () => {
    it('generates a 32-byte hex secret, prints it once and stores it', async () => {
      const r = await cli(['sites', 'add', '--id', 'shop-1']);
      expect(r.code).toBe(0);
      const secret = /^secret: ([0-9a-f]{64})$/m.exec(r.out)?.[1];
      expect(secret).toBeDefined();
      expect(r.out).toMatch(/^added site shop-1\n/);
      const store = openStore();
      expect(await store.getSite('shop-1')).toMatchObject({ secrets: [secret] });
      await store.close();
      const list = await cli(['sites', 'list']);
      expect(list.out).toMatch(/^shop-1\tadded \d{4}-/);
      expect(list.out).not.toContain(secret!);
    });

    it('is idempotent with the same secret, refuses a different one', async () => {
      const secret = 'f'.repeat(64);
      expect((await cli(['sites', 'add', '--id', 'demo', '--secret', secret])).out).toBe('added site demo\n');
      const again = await cli(['sites', 'add', '--id', 'demo', '--secret', secret]);
      expect(again).toMatchObject({ code: 0, out: 'site demo already exists with this secret; nothing changed\n' });
      const other = await cli(['sites', 'add', '--id', 'demo', '--secret', 'e'.repeat(64)]);
      expect(other.code).toBe(1);
      expect(other.err).toBe('error: site "demo" already exists with a different secret; secret rotation is not supported by this command yet\n');
      const none = await cli(['sites', 'add', '--id', 'demo']);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/^error: site "demo" already exists; its secret was shown when it was added/);
    });

    it('rejects a bad id or a short secret with a clear error', async () => {
      expect(await cli(['sites', 'add', '--id', 'bad id'])).toMatchObject({
        code: 1,
        err: 'error: bad site id "bad id": use letters, digits, "_", "." or "-" (at most 64, starting with a letter or digit)\n',
      });
      expect(await cli(['sites', 'add', '--id', 'ok', '--secret', 'short'])).toMatchObject({
        code: 1,
        err: 'error: the secret must be at least 32 characters without spaces; omit --secret to generate one\n',
      });
      const missing = await cli(['sites', 'add']);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain("required option '--id <id>' not specified");
    });
  });

  describe('connect meta', () => {
    beforeEach(async () => {
      await cli(['sites', 'add', '--id', 'demo', '--secret', 'f'.repeat(64)]);
    });

    it('stores the destination in dry-run or live mode and never prints the token', async () => {
      const r = await cli(['connect', 'meta', '--site', 'demo', '--pixel', '1234567890123456', '--token', TOKEN, '--dry-run']);
      expect(r).toMatchObject({ code: 0, out: 'connected site demo to Meta pixel 1234567890123456 (dry run: payloads are built and stored, nothing is sent)\n' });
      expect(r.out + r.err).not.toContain(TOKEN);
      const store = openStore();
      expect(await store.listDestinations({ siteId: 'demo' })).toMatchObject([
        { slug: 'meta', enabled: true, mode: 'dry_run', settings: { pixel_id: '1234567890123456', access_token: TOKEN } },
      ]);
      await store.close();

      const live = await cli(['connect', 'meta', '--site', 'demo', '--pixel', '1234567890123456', '--token', TOKEN, '--test-event-code', 'TEST123']);
      expect(live.out).toBe('connected site demo to Meta pixel 1234567890123456 (live), test event code TEST123\n');
      const again = openStore();
      expect(await again.listDestinations({ siteId: 'demo' })).toMatchObject([{ mode: 'live', settings: { test_event_code: 'TEST123' } }]);
      await again.close();
    });

    it('explains an unknown site, a bad pixel id and bad settings', async () => {
      expect(await cli(['connect', 'meta', '--site', 'nope', '--pixel', '1234567890123456', '--token', TOKEN])).toMatchObject({
        code: 1,
        err: 'error: unknown site "nope"; add it first with: layersync-relay sites add --id nope\n',
      });
      const pixel = await cli(['connect', 'meta', '--site', 'demo', '--pixel', 'px-123', '--token', TOKEN]);
      expect(pixel.code).toBe(1);
      expect(pixel.err).toMatch(/^error: invalid Meta settings: pixel_id: must be the numeric Pixel \(dataset\) ID/);
      const token = await cli(['connect', 'meta', '--site', 'demo', '--pixel', '1234567890123456', '--token', 'has space in it but long enough']);
      expect(token.code).toBe(1);
      expect(token.err).toMatch(/^error: invalid Meta settings: access_token: /);
    });
  });

  describe('stream', () => {
    async function seed() {
      const store = openSqliteStore(db);
      await store.upsertSite({ siteId: 'demo', secrets: ['f'.repeat(64)] });
      const dest = await store.upsertDestination({ siteId: 'demo', slug: 'meta', enabled: true, mode: 'dry_run', settings: {} });
      const event = canonicalEventSchema.parse(makeEvent({ event_time: 1_764_000_000 }));
      await store.ingest({
        siteId: 'demo',
        requestId: `request-${event.event_id}`,
        requestIdExpiresAt: Date.now() + 1000,
        receivedAt: Date.now(),
        events: [{ event, deliveries: [{ destinationId: dest.id, status: 'pending', platformEventName: 'Lead' }] }],
      });
      const [claimed] = await store.claimDeliveries(dest.id, { now: Date.now(), limit: 1, leaseMs: 1000 });
      await store.completeDeliveries(
        [{ id: claimed!.id, leaseToken: claimed!.leaseToken, status: 'dry_run', attempts: 0, nextAttemptAt: null, lastStatus: null, lastError: null, payload: { data: [{ event_name: 'Lead', user_data: { em: [EMAIL_HASH] } }] }, latencyMs: null }],
        Date.now(),
      );
      await store.close();
      return event;
    }

    it('prints recent events with each destination status and exact payload', async () => {
      const event = await seed();
      const r = await cli(['stream', '--limit', '5']);
      expect(r.code).toBe(0);
      expect(r.out).toBe(
        [
          '── 2025-11-24 16:00:00Z  lead  (site demo)',
          `   event_id  ${event.event_id}`,
          '   source    server',
          '   meta  dry_run → Lead (dry_run)',
          '      {',
          '        "data": [',
          '          {',
          '            "event_name": "Lead",',
          '            "user_data": {',
          '              "em": [',
          `                "${EMAIL_HASH}"`,
          '              ]',
          '            }',
          '          }',
          '        ]',
          '      }',
          '',
        ].join('\n'),
      );
    });

    it('--tail follows new events and stops cleanly when interrupted', async () => {
      await seed();
      const controller = new AbortController();
      let out = '';
      const running = runCli(['stream', '--tail', '--limit', '0'], {
        env: { LAYERSYNC_DB: db },
        out: (s) => (out += s),
        err: () => undefined,
        registry: destinations,
        signal: controller.signal,
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(out).toBe(''); // --limit 0: only new events
      const second = await seed();
      await expect.poll(() => out, { timeout: 5000 }).toContain(second.event_id);
      controller.abort();
      expect(await running).toBe(0);
    });

    it('names an unknown site', async () => {
      const r = await cli(['stream', '--site', 'ghost']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/error: unknown site "ghost"; add it first with: layersync-relay sites add --id ghost\n$/);
    });
  });

  it('reports configuration errors naming the variable', async () => {
    const r = await cli(['sites', 'list'], { env: { LAYERSYNC_PORT: 'abc' } });
    expect(r).toMatchObject({ code: 1, err: 'error: invalid configuration:\n  LAYERSYNC_PORT must be an integer 1-65535, got "abc"\n' });
  });

  it('every command has --help', async () => {
    for (const args of [[], ['start'], ['sites'], ['sites', 'add'], ['connect', 'meta'], ['stream']]) {
      const r = await cli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out, args.join(' ')).toMatch(/^Usage: layersync-relay/);
    }
    const unknown = await cli(['nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown command 'nope'/);
  });

  it('runs as a process: --help, start, /healthz, then a clean SIGTERM that closes the database', async () => {
    // Node itself with the tsx loader (not the tsx wrapper), so signals reach the relay directly.
    const run = (args: string[], env: Record<string, string>) =>
      spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
        cwd: RELAY_DIR,
        env: { ...process.env, LAYERSYNC_DB: db, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const help = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--help'], { cwd: RELAY_DIR, encoding: 'utf8' });
    expect(help).toMatch(/^Usage: layersync-relay \[options\] \[command\]/);

    const port = await freePort();
    const child = run(['start'], { LAYERSYNC_PORT: String(port), LAYERSYNC_LOG_LEVEL: 'info' });
    try {
      let logs = '';
      child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
      child.stderr.on('data', (c: Buffer) => (logs += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await expect.poll(() => logs, { timeout: 15_000 }).toContain('LayerSync relay listening');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain('"msg":"stopped"');
      // Closed cleanly: the last connection checkpoints and removes the WAL file.
      expect(existsSync(`${db}-wal`)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    const bad = run(['start'], { LAYERSYNC_PORT: 'abc' });
    let err = '';
    bad.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect(await new Promise((r) => bad.on('exit', r))).toBe(1);
    expect(err).toBe('error: invalid configuration:\n  LAYERSYNC_PORT must be an integer 1-65535, got "abc"\n');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('formatEvent', () => {
  it('shows reasons, attempts and HTTP status of failed deliveries', () => {
    const view: EventView = {
      id: 1,
      siteId: 's',
      eventId: 'e-1',
      eventName: 'purchase',
      eventTime: 0,
      source: 'server',
      receivedAt: 0,
      event: canonicalEventSchema.parse(makeEvent()),
      deliveries: [
        { id: 1, destinationId: 1, destination: 'meta', mode: 'live', platformEventName: 'Purchase', status: 'retry', attempts: 2, nextAttemptAt: 60_000, lastStatus: 503, lastError: 'busy', payload: null, latencyMs: 5, updatedAt: 0 },
      ],
    };
    expect(formatEvent(view)).toBe(
      '── 1970-01-01 00:00:00Z  purchase  (site s)\n   event_id  e-1\n   source    server\n' +
        '   meta  retry → Purchase (live, 2 attempts, HTTP 503, next 1970-01-01T00:01:00.000Z)\n      reason: busy\n',
    );
  });
});
