/**
 * The `layersync-relay` command line. Built as a function of its inputs (environment, output
 * streams, destination registry) so tests run it in-process; src/cli.ts is the thin entry.
 *
 * Commands work on the relay's database directly (SQLite is safe to share with a running relay)
 * through the same AdminService as the admin API, so both apply the same rules. The store is
 * opened with the vault: credentials are encrypted before they are written.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Argument, Command, CommanderError, Option } from 'commander';
import { AdminError, AdminService, type DeliveryRowJson } from '../admin/service.js';
import { REPLAYABLE_STATUSES } from '../admin/schemas.js';
import { parseTimeInput, TIME_INPUT_HELP } from '../admin/time.js';
import { BASE_URL_VARIABLES, CONFIG_VARIABLES, ConfigError, destinationBaseUrls, loadConfig, type Config } from '../config.js';
import { createHttpClient, type HttpClient } from '../delivery/http.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import { DESTINATION_SLUGS, type DestinationSlug } from '../destinations/types.js';
import { SITE_ID_PATTERN } from '../ingest/signature.js';
import { exportStream, type ExportFormat, type ExportKind } from '../export/stream.js';
import { startServer } from '../server.js';
import type { SqliteStore } from '../store/sqlite.js';
import { DELIVERY_STATUSES, type DeliveryStatus, type Store } from '../store/types.js';
import { VaultError } from '../vault/cipher.js';
import { openVaultedStore } from '../vault/open.js';
import { addConnectCommands, ConnectInputError } from './connect.js';
import { followEvents, formatEvent } from './stream.js';

/** A mistake the user can fix; printed as "error: <message>" with exit code 1. */
export class CliError extends Error {}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (s: string) => void;
  err: (s: string) => void;
  registry: Partial<DestinationRegistry>;
  /** Aborted on Ctrl-C; `stream --tail` stops when it fires. */
  signal?: AbortSignal;
  /** Where `export` streams to when there is no --output (with backpressure); else `out`. */
  stdout?: NodeJS.WritableStream;
  /** HTTP client for connection tests (tests pass one); else one is created. */
  http?: HttpClient;
}

const MIN_SECRET_LENGTH = 32;

function config(io: CliIo): Config {
  return loadConfig(io.env);
}

async function withStore<T>(io: CliIo, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const cfg = config(io);
  const { store } = openVaultedStore({
    dbPath: cfg.dbPath,
    vault: { vaultKey: cfg.vaultKey, vaultKeyFile: cfg.vaultKeyFile, vaultPreviousKeys: cfg.vaultPreviousKeys },
    registry: io.registry,
    log: { info: (_o, msg) => io.err(`${msg}\n`), warn: (_o, msg) => io.err(`warning: ${msg}\n`) },
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function withService<T>(io: CliIo, fn: (svc: AdminService, store: Store) => Promise<T>, opts: { http?: boolean } = {}): Promise<T> {
  const cfg = config(io);
  const ownHttp = opts.http && !io.http ? createHttpClient() : undefined;
  try {
    return await withStore(io, (store) =>
      fn(new AdminService({ store, registry: io.registry, http: io.http ?? ownHttp, baseUrls: destinationBaseUrls(cfg), retentionDays: cfg.retentionDays }), store),
    );
  } finally {
    await ownHttp?.close();
  }
}

async function requireSite(store: Store, siteId: string): Promise<void> {
  if (!(await store.getSite(siteId))) {
    throw new CliError(`unknown site "${siteId}"; add it first with: layersync-relay sites add --id ${siteId}`);
  }
}

function actor(explicit: string | undefined): string {
  if (explicit) return explicit;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function statusList(v: string): DeliveryStatus[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((s) => !(DELIVERY_STATUSES as readonly string[]).includes(s));
  if (bad.length > 0 || list.length === 0) throw new CliError(`--status takes ${DELIVERY_STATUSES.join(', ')} (comma-separated), got "${v}"`);
  return list as DeliveryStatus[];
}

function timeArg(name: string) {
  return (v: string): string => {
    if (parseTimeInput(v, Date.now()) === undefined) throw new CliError(`${name} must be ${TIME_INPUT_HELP}; got "${v}"`);
    return v;
  };
}

function slugArg(v: string): DestinationSlug {
  const slug = v.replace(/-/g, '_');
  if (!(DESTINATION_SLUGS as readonly string[]).includes(slug)) throw new CliError(`unknown destination "${v}"; one of ${DESTINATION_SLUGS.join(', ')}`);
  return slug as DestinationSlug;
}

function formatDelivery(d: DeliveryRowJson): string {
  const http = d.last_status !== null ? `  HTTP ${d.last_status}` : '';
  const name = d.platform_event_name ? ` → ${d.platform_event_name}` : '';
  const line = `#${d.id}  ${d.updated_at}  ${d.site_id}  ${d.destination}  ${d.status}  ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${http}  ${d.event_name}${name}  ${d.event_id}`;
  return d.last_error ? `${line}\n    reason: ${d.last_error}\n` : `${line}\n`;
}

/** `--site S --destination D` or `--id N`, for destination subcommands. */
function destinationRef(cmd: Command): Command {
  return cmd
    .option('--id <n>', 'destination id (from: layersync-relay destinations list)', (v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`--id must be a destination id (a number), got "${v}"`);
      return Number(v);
    })
    .option('--site <id>', 'site id (with --destination)')
    .option('--destination <slug>', `destination: ${DESTINATION_SLUGS.join(', ')}`, slugArg);
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('layersync-relay')
    .description('LayerSync relay: signed event ingest and delivery to ad platforms, with its own SQLite store.')
    .addHelpText(
      'after',
      `\nEnvironment (every command reads LAYERSYNC_DB, default ./data/layersync.sqlite):\n  ${[...CONFIG_VARIABLES, ...BASE_URL_VARIABLES.filter((v) => !(CONFIG_VARIABLES as readonly string[]).includes(v))].join('\n  ')}\n`,
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  program
    .command('start')
    .description('run the relay server until SIGINT/SIGTERM')
    .action(async () => {
      const cfg = config(io);
      const server = await startServer(cfg, { registry: io.registry, handleSignals: true });
      server.app.log.info({ url: server.url, db: cfg.dbPath }, 'LayerSync relay listening');
    });

  // ── sites ──
  const sites = program.command('sites').description('manage the sites (WordPress stores, SDK senders) allowed to send events');
  sites
    .command('add')
    .description('add a site; prints its signing secret once when the relay generates it')
    .requiredOption('--id <id>', 'site id (letters, digits, "_", "." or "-", at most 64)')
    .option('--secret <secret>', `use this signing secret (at least ${MIN_SECRET_LENGTH} characters) instead of generating one`)
    .action(async (o: { id: string; secret?: string }) => {
      if (!SITE_ID_PATTERN.test(o.id)) {
        throw new CliError(`bad site id "${o.id}": use letters, digits, "_", "." or "-" (at most 64, starting with a letter or digit)`);
      }
      if (o.secret !== undefined && (o.secret.length < MIN_SECRET_LENGTH || /\s/.test(o.secret))) {
        throw new CliError(`the secret must be at least ${MIN_SECRET_LENGTH} characters without spaces; omit --secret to generate one`);
      }
      await withStore(io, async (store) => {
        const existing = await store.getSite(o.id);
        if (existing) {
          if (o.secret !== undefined && existing.secrets.includes(o.secret)) {
            io.out(`site ${o.id} already exists with this secret; nothing changed\n`);
            return;
          }
          throw new CliError(
            o.secret === undefined
              ? `site "${o.id}" already exists; its secret was shown when it was added (pass --secret <current secret> to confirm it)`
              : `site "${o.id}" already exists with a different secret; secret rotation is not supported by this command yet`,
          );
        }
        const secret = o.secret ?? randomBytes(32).toString('hex');
        await store.upsertSite({ siteId: o.id, secrets: [secret] });
        if (o.secret === undefined) {
          io.out(`added site ${o.id}\nsecret: ${secret}\n(shown once: paste it into the LayerSync plugin settings for this site now)\n`);
        } else {
          io.out(`added site ${o.id}\n`);
        }
      });
    });
  sites
    .command('list')
    .description('list site ids (never secrets)')
    .action(async () => {
      await withStore(io, async (store) => {
        const all = await store.listSites();
        if (all.length === 0) io.out('no sites yet; add one with: layersync-relay sites add --id <id>\n');
        for (const s of all) io.out(`${s.siteId}\tadded ${new Date(s.createdAt).toISOString()}\n`);
      });
    });
  sites
    .command('rotate')
    .description('start a secret rotation: a new secret becomes current, the old one stays valid until retired')
    .requiredOption('--id <id>', 'site id')
    .option('--secret <secret>', `use this new secret (at least ${MIN_SECRET_LENGTH} characters) instead of generating one`)
    .action(async (o: { id: string; secret?: string }) => {
      if (o.secret !== undefined && (o.secret.length < MIN_SECRET_LENGTH || /\s/.test(o.secret))) {
        throw new CliError(`the secret must be at least ${MIN_SECRET_LENGTH} characters without spaces; omit --secret to generate one`);
      }
      await withService(io, async (svc) => {
        const r = await svc.rotateSiteSecret(o.id, { secret: o.secret });
        for (const w of r.warnings) io.err(`warning: ${w}\n`);
        io.out(`rotated the secret of site ${o.id}: requests signed with the new or the previous secret are accepted\n`);
        if (r.secret !== undefined) io.out(`new secret: ${r.secret}\n(shown once: paste it into the LayerSync plugin settings now)\n`);
        io.out(`when every sender uses the new secret, run: layersync-relay sites retire --id ${o.id}\n`);
      });
    });
  sites
    .command('retire')
    .description('end a secret rotation: stop accepting the previous secret')
    .requiredOption('--id <id>', 'site id')
    .action(async (o: { id: string }) => {
      await withService(io, async (svc) => {
        await svc.retireSiteSecret(o.id);
        io.out(`retired the previous secret of site ${o.id}; only the current one is accepted now\n`);
      });
    });

  // ── connect ──
  const connect = program
    .command('connect')
    .description('connect a site to an ad platform (one subcommand per platform; see connect <platform> --help)');
  addConnectCommands(connect, io.registry, async (req, describe) => {
    await withService(io, async (svc, store) => {
      await requireSite(store, req.siteId);
      const d = await svc.connect(req);
      const stored = (await store.getDestination(d.id))?.settings as Record<string, unknown>;
      const mode = req.mode === 'dry_run' ? 'dry run: payloads are built and stored, nothing is sent' : 'live';
      const test = typeof stored.test_event_code === 'string' ? `, test event code ${stored.test_event_code}` : '';
      io.out(`connected site ${req.siteId} to ${describe(stored)} (${mode})${test}${req.enabled ? '' : ' — disabled'}\n`);
    });
  });

  // ── destinations ──
  const dests = program.command('destinations').description('list, test and switch the mode of connected destinations');
  dests
    .command('list')
    .description('list connections with their mode, state and settings (secrets masked)')
    .option('--site <id>', 'only this site')
    .option('--json', 'one JSON object per line', false)
    .action(async (o: { site?: string; json: boolean }) => {
      await withService(io, async (svc) => {
        const all = await svc.listDestinations({ site: o.site });
        if (o.json) {
          for (const d of all) io.out(`${JSON.stringify(d)}\n`);
          return;
        }
        if (all.length === 0) io.out('no destinations yet; connect one with: layersync-relay connect <platform> --site <id> …\n');
        for (const d of all) {
          const settings = Object.entries(d.settings)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          io.out(
            `#${d.id}  ${d.site_id}  ${d.slug} (${d.label})  ${d.enabled ? 'enabled' : 'disabled'}  ${d.mode}${d.parked ? `  PARKED: ${d.parked.reason}` : ''}\n    ${settings}\n`,
          );
        }
      });
    });
  destinationRef(dests.command('test').description('test the connection with the platform and print its diagnosis')).action(
    async (o: { id?: number; site?: string; destination?: DestinationSlug }) => {
      await withService(
        io,
        async (svc) => {
          const d = await svc.findDestination({ id: o.id, siteId: o.site, slug: o.destination });
          const r = await svc.testDestination(d.id);
          if (!r.ok) throw new CliError(`connection test of ${d.slug} for site ${d.siteId} failed (${r.code}): ${r.message}`);
          io.out(`ok: ${r.message}\n`);
        },
        { http: true },
      );
    },
  );
  destinationRef(
    dests
      .command('mode')
      .description('switch a destination between live and dry_run')
      .addArgument(new Argument('<mode>', 'live or dry_run').choices(['live', 'dry_run'])),
  ).action(async (mode: 'live' | 'dry_run', o: { id?: number; site?: string; destination?: DestinationSlug }) => {
    await withService(io, async (svc) => {
      const d = await svc.findDestination({ id: o.id, siteId: o.site, slug: o.destination });
      await svc.updateDestination(d.id, { mode });
      io.out(`${d.slug} for site ${d.siteId} is now ${mode === 'live' ? 'live' : 'in dry run (payloads are built and stored, nothing is sent)'}\n`);
    });
  });
  for (const action of ['enable', 'disable'] as const) {
    destinationRef(dests.command(action).description(action === 'enable' ? 'start delivering to a destination' : 'stop delivering to a destination')).action(
      async (o: { id?: number; site?: string; destination?: DestinationSlug }) => {
        await withService(io, async (svc) => {
          const d = await svc.findDestination({ id: o.id, siteId: o.site, slug: o.destination });
          await svc.updateDestination(d.id, { enabled: action === 'enable' });
          io.out(`${d.slug} for site ${d.siteId} is now ${action}d\n`);
        });
      },
    );
  }

  // ── deliveries ──
  program
    .command('deliveries')
    .description('list deliveries, most recently updated first, with status and reason')
    .option('--status <list>', `comma-separated: ${DELIVERY_STATUSES.join(', ')}`, statusList)
    .option('--destination <slug>', `only this destination: ${DESTINATION_SLUGS.join(', ')}`, slugArg)
    .option('--site <id>', 'only this site')
    .option('--since <time>', `events that happened at or after: ${TIME_INPUT_HELP}`, timeArg('--since'))
    .option('--until <time>', 'events that happened at or before', timeArg('--until'))
    .addOption(new Option('--limit <n>', 'how many').default(50).argParser(parseLimit))
    .option('--json', 'one JSON object per line', false)
    .action(async (o: { status?: DeliveryStatus[]; destination?: DestinationSlug; site?: string; since?: string; until?: string; limit: number; json: boolean }) => {
      await withService(io, async (svc, store) => {
        if (o.site !== undefined) await requireSite(store, o.site);
        const r = await svc.listDeliveries({ limit: o.limit, status: o.status, destination: o.destination, site: o.site, since: o.since, until: o.until });
        if (r.deliveries.length === 0 && !o.json) io.out('no deliveries match\n');
        for (const d of r.deliveries) io.out(o.json ? `${JSON.stringify(d)}\n` : formatDelivery(d));
        if (r.next_cursor && !o.json) io.out(`(more: raise --limit)\n`);
      });
    });

  // ── replay ──
  program
    .command('replay')
    .description('send settled deliveries again, while each platform still accepts the events')
    .option('--event <id>', 'replay this event (every settled delivery of it, or only --destination)')
    .option('--destination <slug>', `replay this destination's failed and dead deliveries: ${DESTINATION_SLUGS.join(', ')}`, slugArg)
    .option('--site <id>', 'only this site')
    .option('--since <time>', `window start on event time: ${TIME_INPUT_HELP}`, timeArg('--since'))
    .option('--until <time>', 'window end on event time', timeArg('--until'))
    .option('--status <list>', `which settled deliveries: ${REPLAYABLE_STATUSES.join(', ')} (default: all for --event, else failed,dead)`, (v) => {
      const list = statusList(v);
      const bad = list.filter((s) => !(REPLAYABLE_STATUSES as readonly string[]).includes(s));
      if (bad.length) throw new CliError(`--status for replay takes ${REPLAYABLE_STATUSES.join(', ')}; got "${v}"`);
      return list as Array<(typeof REPLAYABLE_STATUSES)[number]>;
    })
    .option('--as <name>', 'who asks, recorded with the replay (default cli:<user>)')
    .addHelpText(
      'after',
      '\nExamples:\n  layersync-relay replay --event 0193…\n  layersync-relay replay --destination meta --since 24h\n  layersync-relay replay --since 2026-11-20 --until 2026-11-21 --site shop\n',
    )
    .action(
      async (o: {
        event?: string;
        destination?: DestinationSlug;
        site?: string;
        since?: string;
        until?: string;
        status?: Array<(typeof REPLAYABLE_STATUSES)[number]>;
        as?: string;
      }) => {
        if (o.event === undefined && o.destination === undefined && (o.since === undefined || o.until === undefined)) {
          throw new CliError('say what to replay: --event <id>, --destination <slug> (with --since/--until to limit it), or --since and --until');
        }
        await withService(io, async (svc) => {
          const by = actor(o.as);
          const r = await svc.replay(
            { event_id: o.event, destination: o.destination, site_id: o.site, since: o.since, until: o.until, statuses: o.status },
            by,
          );
          io.out(`replay #${r.replay.id} by ${by}: requeued ${r.requeued} deliver${r.requeued === 1 ? 'y' : 'ies'}; a running relay sends them within a second or so\n`);
          if (r.refused_count > 0) {
            io.out(`refused ${r.refused_count}: ${r.replay.reason}\n`);
            for (const x of r.refused.slice(0, 10)) io.out(`  #${x.delivery_id} ${x.destination} ${x.event_id}: ${x.reason}\n`);
          }
          for (const w of r.warnings) io.err(`warning: ${w}\n`);
        });
      },
    );

  // ── privacy ──
  const privacy = program.command('privacy').description('privacy requests');
  privacy
    .command('delete')
    .description("delete every event carrying a person's identifiers, with their deliveries and decisions")
    .option('--external-id <ids...>', "the site's customer id(s), hashed here as the plugin does (trim, SHA-256)")
    .option('--external-id-sha256 <hashes...>', 'SHA-256 of external id(s), hex')
    .option('--email-sha256 <hashes...>', 'SHA-256 of normalized email(s) (trimmed, lowercased), hex')
    .option('--phone-sha256 <hashes...>', 'SHA-256 of phone number(s) as E.164 digits without "+", hex')
    .option('--site <id>', 'only this site (default: every site)')
    .option('--dry-run', 'only count what would be deleted', false)
    .option('--yes', 'really delete (required unless --dry-run)', false)
    .option('--as <name>', 'who asks, recorded with the counts (default cli:<user>)')
    .action(
      async (o: { externalId?: string[]; externalIdSha256?: string[]; emailSha256?: string[]; phoneSha256?: string[]; site?: string; dryRun: boolean; yes: boolean; as?: string }) => {
        const hashes = [...(o.externalIdSha256 ?? []), ...(o.emailSha256 ?? []), ...(o.phoneSha256 ?? [])];
        if (!o.externalId && hashes.length === 0) {
          throw new CliError('give at least one of --external-id, --external-id-sha256, --email-sha256, --phone-sha256');
        }
        const bad = hashes.find((h) => !/^[a-f0-9]{64}$/.test(h));
        if (bad !== undefined) throw new CliError(`"${bad.slice(0, 80)}" is not a SHA-256 hash (64 lowercase hex characters); hash the normalized value first`);
        await withService(io, async (svc) => {
          const body = {
            site_id: o.site,
            external_id: o.externalId,
            external_id_sha256: o.externalIdSha256,
            email_sha256: o.emailSha256,
            phone_sha256: o.phoneSha256,
          };
          const preview = !o.yes || o.dryRun;
          const r = await svc.privacyDelete({ ...body, dry_run: preview }, actor(o.as));
          const d = r.deleted;
          const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
          const what = [
            n(d.events, 'event', 'events'),
            n(d.deliveries, 'delivery', 'deliveries'),
            n(d.decisions, 'dedup decision', 'dedup decisions'),
            n(d.order_keys, 'order key', 'order keys'),
            n(d.replay_items, 'replay record', 'replay records'),
          ].join(', ');
          if (o.dryRun) {
            io.out(`would delete ${what}\n`);
          } else if (!o.yes) {
            throw new CliError(`this would delete ${what}; run it again with --yes to delete them`);
          } else {
            io.out(`deleted ${what}\n`);
          }
        });
      },
    );

  // ── export ──
  program
    .command('export')
    .description('stream events or deliveries as CSV or NDJSON (hashed identifiers only, no secrets)')
    .addOption(new Option('--format <format>', 'csv or ndjson').choices(['csv', 'ndjson']).default('ndjson'))
    .addOption(new Option('--type <type>', 'what to export').choices(['events', 'deliveries']).default('events'))
    .option('--site <id>', 'only this site')
    .option('--destination <slug>', 'deliveries: only this destination', slugArg)
    .option('--status <list>', 'deliveries: only these statuses', statusList)
    .option('--since <time>', `events that happened at or after: ${TIME_INPUT_HELP}`, timeArg('--since'))
    .option('--until <time>', 'events that happened at or before', timeArg('--until'))
    .option('--output <file>', 'write to this file instead of standard output')
    .action(
      async (o: { format: ExportFormat; type: ExportKind; site?: string; destination?: DestinationSlug; status?: DeliveryStatus[]; since?: string; until?: string; output?: string }) => {
        await withStore(io, async (store) => {
          if (o.site !== undefined) await requireSite(store, o.site);
          const now = Date.now();
          const stream = exportStream(store, o.type, o.format, {
            siteId: o.site,
            slug: o.destination,
            statuses: o.status,
            since: o.since === undefined ? undefined : parseTimeInput(o.since, now),
            until: o.until === undefined ? undefined : parseTimeInput(o.until, now),
          });
          if (o.output !== undefined) {
            await pipeline(stream, createWriteStream(o.output, { mode: 0o600 }));
            io.err(`wrote ${o.output}\n`);
          } else if (io.stdout) {
            await pipeline(stream, io.stdout, { end: false });
          } else {
            for await (const chunk of stream) io.out(String(chunk));
          }
        });
      },
    );

  // ── stream ──
  program
    .command('stream')
    .description('print stored events with each destination\'s status and exact payload')
    .option('--tail', 'keep following new events until Ctrl-C', false)
    .option('--site <id>', 'only this site')
    .addOption(new Option('--limit <n>', 'recent events to print first').default(10).argParser(parseCount))
    .action(async (o: { tail: boolean; site?: string; limit: number }) => {
      await withStore(io, async (store) => {
        if (o.site !== undefined) await requireSite(store, o.site);
        if (!o.tail) {
          const recent = (await store.listEvents({ siteId: o.site, limit: o.limit })).reverse();
          if (recent.length === 0) io.out('no events yet\n');
          for (const e of recent) io.out(formatEvent(e));
          return;
        }
        io.err(`following events in ${config(io).dbPath} (Ctrl-C to stop)\n`);
        await followEvents(store, {
          siteId: o.site,
          recent: o.limit,
          pollMs: 500,
          settleMs: 5_000,
          write: io.out,
          signal: io.signal ?? new AbortController().signal,
        });
      });
    });

  return program;
}

function parseCount(v: string): number {
  if (!/^\d{1,4}$/.test(v)) throw new CliError(`--limit must be a whole number 0-9999, got "${v}"`);
  return Number(v);
}

function parseLimit(v: string): number {
  if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 500) throw new CliError(`--limit must be a whole number 1-500, got "${v}"`);
  return Number(v);
}

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError || err instanceof ConfigError || err instanceof ConnectInputError || err instanceof AdminError || err instanceof VaultError) {
      io.err(`error: ${err.message}\n`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
