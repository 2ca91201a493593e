import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { canonicalEventSchema } from '../../src/contract/event.js';
import { destinations } from '../../src/destinations/registry.js';
import { openVaultedStore } from '../../src/vault/open.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN, startFakeMeta } from '../fakes/meta-server.js';
import { EMAIL_HASH, makeEvent, tempDir } from '../helpers.js';

const META_TOKEN = 'EAAB-a-long-conversions-api-token-000';
const GA4_SECRET = 'ga4-secret-AbCdEf123456';

describe('layersync-relay operator commands', () => {
  let t: ReturnType<typeof tempDir>;
  let db: string;

  beforeEach(async () => {
    t = tempDir();
    db = path.join(t.dir, 'relay.sqlite');
    expect((await cli(['sites', 'add', '--id', 'demo', '--secret', 'f'.repeat(64)])).code).toBe(0);
  });
  afterEach(() => t.cleanup());

  async function cli(args: string[], env: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const code = await runCli(args, { env: { LAYERSYNC_DB: db, ...env }, out: (s) => (out += s), err: (s) => (err += s), registry: destinations });
    return { code, out, err };
  }
  const openStore = () => openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: () => undefined, warn: () => undefined } }).store;

  describe('connect, generated from each settings schema', () => {
    it('connect ga4 takes --measurement-id and --api-secret, validates, stores sealed, prints no secret', async () => {
      const r = await cli(['connect', 'ga4', '--site', 'demo', '--measurement-id', 'g-abc123xyz9', '--api-secret', GA4_SECRET, '--region', 'eu', '--debug-mode']);
      expect(r).toMatchObject({ code: 0, out: 'connected site demo to GA4 measurement ID G-ABC123XYZ9 (live)\n' });
      expect(r.out + r.err).not.toContain(GA4_SECRET);
      const store = openStore();
      expect(await store.listDestinations({ siteId: 'demo' })).toMatchObject([
        { slug: 'ga4', mode: 'live', settings: { measurement_id: 'G-ABC123XYZ9', api_secret: GA4_SECRET, region: 'eu', debug_mode: true } },
      ]);
      await store.close();
      expect(readFileSync(db).includes(Buffer.from(GA4_SECRET))).toBe(false);

      const bad = await cli(['connect', 'ga4', '--site', 'demo', '--measurement-id', '123456', '--api-secret', GA4_SECRET]);
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/^error: invalid GA4 settings: measurement_id: must be the web stream's measurement ID.* \(measurement_id is --measurement-id\)\n$/);
      const missing = await cli(['connect', 'ga4', '--site', 'demo', '--measurement-id', 'G-ABC123XYZ9']);
      expect(missing).toMatchObject({ code: 1, err: 'error: missing --api-secret <value>: Measurement Protocol API secret (see: layersync-relay connect ga4 --help)\n' });
      const region = await cli(['connect', 'ga4', '--site', 'demo', '--measurement-id', 'G-ABC123XYZ9', '--api-secret', GA4_SECRET, '--region', 'mars']);
      expect(region.code).toBe(1);
      expect(region.err).toContain("argument 'mars' is invalid. Allowed choices are global, eu");
    });

    it('connect meta keeps --pixel/--token and accepts --pixel-id/--access-token', async () => {
      const r = await cli(['connect', 'meta', '--site', 'demo', '--pixel-id', '1234567890123456', '--access-token', META_TOKEN, '--dry-run']);
      expect(r.out).toBe('connected site demo to Meta pixel 1234567890123456 (dry run: payloads are built and stored, nothing is sent)\n');
      const clash = await cli(['connect', 'meta', '--site', 'demo', '--pixel', '1', '--pixel-id', '2', '--token', META_TOKEN]);
      expect(clash).toMatchObject({ code: 1, err: 'error: --pixel-id and --pixel disagree; give only one of them\n' });
      const missing = await cli(['connect', 'meta', '--site', 'demo', '--pixel', '1234567890123456']);
      expect(missing.err).toBe('error: missing --access-token (or --token) <value>: Conversions API access token (see: layersync-relay connect meta --help)\n');
    });

    it('connect google_ads reads JSON settings and booleans; --disabled stores it off', async () => {
      const r = await cli([
        'connect', 'google-ads', '--site', 'demo', '--customer-id', '123-456-7890', '--client-id', 'client.apps.googleusercontent.com',
        '--client-secret', 'gcs-secret-000000', '--refresh-token', '1//refresh-token-000000', '--conversion-actions', '{"purchase":"111","lead":"222"}',
        '--validate-only', '--disabled',
      ]);
      expect(r).toMatchObject({ code: 0, out: 'connected site demo to Google Ads customer 1234567890 (live) — disabled\n' });
      const store = openStore();
      expect(await store.listDestinations({ siteId: 'demo' })).toMatchObject([
        { slug: 'google_ads', enabled: false, settings: { customer_id: '1234567890', conversion_actions: { purchase: '111', lead: '222' }, validate_only: true, refresh_token: '1//refresh-token-000000' } },
      ]);
      await store.close();
      const badJson = await cli(['connect', 'google_ads', '--site', 'demo', '--customer-id', '1234567890', '--client-id', 'c', '--client-secret', 's', '--refresh-token', 'r', '--conversion-actions', '{purchase}']);
      expect(badJson).toMatchObject({ code: 1, err: `error: --conversion-actions must be JSON, e.g. '{"purchase": "123456789"}'\n` });
    });

    it('every connect command documents its settings in --help', async () => {
      const meta = await cli(['connect', 'meta', '--help']);
      expect(meta.code).toBe(0);
      expect(meta.out).toMatch(/^Usage: layersync-relay connect meta \[options\]/);
      // Help text wraps at the terminal width: compare with whitespace collapsed.
      const flat = (s: string) => s.replace(/\s+/g, ' ');
      for (const s of ['--site <id>', '--pixel-id <value>', 'Pixel ID (required)', '--pixel <value>', 'same as --pixel-id', '--access-token <value>', 'secret: stored encrypted, never printed', '--test-event-code <value>', '--dry-run', 'Events Manager']) {
        expect(flat(meta.out)).toContain(s);
      }
      const ga4 = await cli(['connect', 'ga4', '--help']);
      for (const s of ['--measurement-id <value>', 'Measurement ID (required)', '--api-secret <value>', '--debug-mode', '--no-debug-mode', '--region <value>', '(choices: "global", "eu")', '(default "global")']) {
        expect(flat(ga4.out)).toContain(s);
      }
      const list = await cli(['connect', '--help']);
      for (const slug of Object.keys(destinations)) expect(list.out).toContain(slug);
    });
  });

  describe('sites, destinations, deliveries, replay, privacy and export', () => {
    async function seed(opts: { eventTime?: number; status?: 'failed' | 'delivered'; lastError?: string } = {}) {
      const store = openStore();
      const dest = (await store.listDestinations({ siteId: 'demo' }))[0]!;
      const events = [
        makeEvent({ event_time: opts.eventTime ?? Math.floor(Date.now() / 1000) - 3600, identity: {} }),
        makeEvent({ event_name: 'purchase', identity: { em: EMAIL_HASH }, commerce: { order_id: '=1+1', value: 9, currency: 'EUR' } }),
      ].map((e) => canonicalEventSchema.parse(e));
      await store.ingest({
        siteId: 'demo',
        requestId: `r-${Math.random()}`,
        requestIdExpiresAt: Date.now() + 60_000,
        receivedAt: Date.now(),
        events: events.map((event) => ({ event, deliveries: [{ destinationId: dest.id, status: 'pending', platformEventName: 'Lead' }] })),
      });
      const claimed = await store.claimDeliveries(dest.id, { now: Date.now(), limit: 10, leaseMs: 1000 });
      await store.completeDeliveries(
        claimed.map((c) => ({ id: c.id, leaseToken: c.leaseToken, status: opts.status ?? 'failed', attempts: 2, nextAttemptAt: null, lastStatus: 400, lastError: opts.lastError ?? 'bad pixel', latencyMs: 20 })),
        Date.now(),
      );
      await store.close();
      return events;
    }

    beforeEach(async () => {
      expect((await cli(['connect', 'meta', '--site', 'demo', '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN])).code).toBe(0);
    });

    it('sites rotate and retire', async () => {
      const r = await cli(['sites', 'rotate', '--id', 'demo']);
      expect(r.code).toBe(0);
      const fresh = /^new secret: ([0-9a-f]{64})$/m.exec(r.out)?.[1];
      expect(fresh).toBeDefined();
      expect(r.out).toContain('when every sender uses the new secret, run: layersync-relay sites retire --id demo');
      const store = openStore();
      expect((await store.getSite('demo'))!.secrets).toEqual([fresh, 'f'.repeat(64)]);
      await store.close();
      expect((await cli(['sites', 'retire', '--id', 'demo'])).out).toBe('retired the previous secret of site demo; only the current one is accepted now\n');
      expect(await cli(['sites', 'retire', '--id', 'demo'])).toMatchObject({ code: 1, err: 'error: site "demo" has a single secret; there is no previous secret to retire\n' });
      expect((await cli(['sites', 'rotate', '--id', 'ghost'])).code).toBe(1);
    });

    it('destinations list (masked), mode, disable/enable and test against the platform', async () => {
      const list = await cli(['destinations', 'list']);
      expect(list.out).toBe(`#1  demo  meta (Meta Conversions API)  enabled  live\n    pixel_id=${FAKE_META_PIXEL_ID} access_token=••••${FAKE_META_TOKEN.slice(-4)}\n`);
      expect((await cli(['destinations', 'list', '--json'])).out).not.toContain(FAKE_META_TOKEN);
      expect((await cli(['destinations', 'mode', 'dry_run', '--site', 'demo', '--destination', 'meta'])).out).toBe(
        'meta for site demo is now in dry run (payloads are built and stored, nothing is sent)\n',
      );
      expect((await cli(['destinations', 'mode', 'paused', '--id', '1'])).code).toBe(1);
      expect((await cli(['destinations', 'disable', '--id', '1'])).out).toBe('meta for site demo is now disabled\n');
      expect((await cli(['destinations', 'list'])).out).toContain('disabled  dry_run');
      expect((await cli(['destinations', 'enable', '--id', '1'])).code).toBe(0);

      const fake = await startFakeMeta({ pixels: [FAKE_META_PIXEL_ID] });
      try {
        const ok = await cli(['destinations', 'test', '--site', 'demo', '--destination', 'meta'], { LAYERSYNC_META_BASE_URL: fake.url });
        expect(ok).toMatchObject({ code: 0 });
        expect(ok.out).toMatch(/^ok: Connected to Meta/);
        await cli(['connect', 'meta', '--site', 'demo', '--pixel', FAKE_META_PIXEL_ID, '--token', META_TOKEN]);
        const bad = await cli(['destinations', 'test', '--id', '1'], { LAYERSYNC_META_BASE_URL: fake.url });
        expect(bad.code).toBe(1);
        expect(bad.err).toMatch(/^error: connection test of meta for site demo failed \(/);
        expect(bad.err).not.toContain(META_TOKEN);
      } finally {
        await fake.close();
      }
      expect((await cli(['destinations', 'test', '--site', 'demo', '--destination', 'ga4'])).err).toBe('error: site demo is not connected to ga4; connect it first\n');
      expect((await cli(['destinations', 'test'])).err).toBe('error: name the destination by id, or by site and destination slug\n');
    });

    it('deliveries filters by status, destination and site', async () => {
      await seed({ lastError: 'Invalid parameter' });
      const failed = await cli(['deliveries', '--status', 'failed']);
      expect(failed.code).toBe(0);
      expect(failed.out.match(/^#\d+ /gm)).toHaveLength(2);
      expect(failed.out).toContain('demo  meta  failed  2 attempts  HTTP 400');
      expect(failed.out).toContain('    reason: Invalid parameter');
      expect((await cli(['deliveries', '--status', 'delivered'])).out).toBe('no deliveries match\n');
      expect((await cli(['deliveries', '--destination', 'ga4'])).out).toBe('no deliveries match\n');
      expect((await cli(['deliveries', '--site', 'demo', '--json'])).out.trim().split('\n')).toHaveLength(2);
      expect(await cli(['deliveries', '--status', 'lost'])).toMatchObject({ code: 1, err: expect.stringContaining('--status takes pending, delivered') });
      expect((await cli(['deliveries', '--site', 'ghost'])).code).toBe(1);
    });

    it('replay --event and --destination, refused when too old for the platform', async () => {
      const [recent] = await seed();
      const one = await cli(['replay', '--event', recent!.event_id, '--as', 'ops']);
      expect(one.code).toBe(0);
      expect(one.out).toMatch(/^replay #1 by ops: requeued 1 delivery;/);
      const dest = await cli(['replay', '--destination', 'meta', '--since', '24h']);
      expect(dest.out).toMatch(/^replay #2 by cli:.*: requeued 1 delivery/);

      const [old] = await seed({ eventTime: Math.floor(Date.now() / 1000) - 8 * 86_400 });
      const refused = await cli(['replay', '--event', old!.event_id]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^error: nothing was replayed: 1 too old for Meta Conversions API \(it accepts events up to 7 d old\)/);
      expect(await cli(['replay'])).toMatchObject({ code: 1, err: expect.stringMatching(/^error: say what to replay/) });
      expect((await cli(['replay', '--since', 'yesterday', '--until', 'now'])).code).toBe(1);
    });

    it('privacy delete needs --yes, and reports what it deleted', async () => {
      await seed();
      const preview = await cli(['privacy', 'delete', '--email-sha256', EMAIL_HASH]);
      expect(preview).toMatchObject({ code: 1, err: 'error: this would delete 1 event, 1 delivery, 0 dedup decisions, 1 order key, 0 replay records; run it again with --yes to delete them\n' });
      expect((await cli(['privacy', 'delete', '--email-sha256', EMAIL_HASH, '--dry-run'])).out).toBe('would delete 1 event, 1 delivery, 0 dedup decisions, 1 order key, 0 replay records\n');
      expect((await cli(['privacy', 'delete', '--email-sha256', EMAIL_HASH, '--yes'])).out).toBe('deleted 1 event, 1 delivery, 0 dedup decisions, 1 order key, 0 replay records\n');
      expect((await cli(['privacy', 'delete', '--email-sha256', EMAIL_HASH, '--yes'])).out).toMatch(/^deleted 0 events/);
      expect(await cli(['privacy', 'delete', '--email-sha256', 'person@example.com', '--yes'])).toMatchObject({ code: 1, err: expect.stringContaining('is not a SHA-256 hash') });
      expect((await cli(['privacy', 'delete', '--yes'])).err).toMatch(/give at least one of/);
    });

    it('export --format csv|ndjson to standard output or a file', async () => {
      await seed({ status: 'delivered' });
      const csv = await cli(['export', '--format', 'csv']);
      expect(csv.code).toBe(0);
      const lines = csv.out.trim().split('\n');
      expect(lines[0]).toMatch(/^site_id,event_id,event_name,/);
      expect(lines).toHaveLength(3);
      expect(csv.out).toContain("'=1+1");
      expect(csv.out).toContain(EMAIL_HASH);
      const nd = await cli(['export', '--format', 'ndjson', '--type', 'deliveries', '--status', 'delivered']);
      expect(nd.out.trim().split('\n').map((l) => JSON.parse(l).status)).toEqual(['delivered', 'delivered']);
      const file = path.join(t.dir, 'out.ndjson');
      const toFile = await cli(['export', '--output', file]);
      expect(toFile).toMatchObject({ code: 0, out: '', err: `wrote ${file}\n` });
      expect(existsSync(file) && readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(readFileSync(file, 'utf8')).not.toContain(FAKE_META_TOKEN);
      expect((await cli(['export', '--format', 'xml'])).code).toBe(1);
    });
  });

  it('every command has --help', async () => {
    const commands = [
      [], ['sites'], ['sites', 'add'], ['sites', 'list'], ['sites', 'rotate'], ['sites', 'retire'], ['connect'], ['connect', 'meta'], ['connect', 'ga4'],
      ['destinations'], ['destinations', 'list'], ['destinations', 'test'], ['destinations', 'mode'], ['destinations', 'enable'], ['destinations', 'disable'],
      ['deliveries'], ['replay'], ['privacy'], ['privacy', 'delete'], ['export'], ['stream'], ['start'],
    ];
    for (const args of commands) {
      const r = await cli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out, args.join(' ')).toMatch(/^Usage: layersync-relay/);
    }
    const top = await cli(['--help']);
    for (const v of ['LAYERSYNC_VAULT_KEY', 'LAYERSYNC_VAULT_KEY_FILE', 'LAYERSYNC_METRICS_PUBLIC', 'LAYERSYNC_GA4_BASE_URL', 'LAYERSYNC_GOOGLE_ADS_BASE_URL']) expect(top.out).toContain(v);
  });
});
