/**
 * The `layersync-relay` command line. Built as a function of its inputs (environment, output
 * streams, destination registry) so tests run it in-process; src/cli.ts is the thin entry.
 */
import { randomBytes } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_VARIABLES, ConfigError, loadConfig, type Config } from '../config.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import { describeIssues } from '../ingest/issues.js';
import { SITE_ID_PATTERN } from '../ingest/signature.js';
import { startServer } from '../server.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
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
}

const MIN_SECRET_LENGTH = 32;

function config(io: CliIo): Config {
  return loadConfig(io.env);
}

async function withStore<T>(io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore(config(io).dbPath);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function requireSite(store: Store, siteId: string): Promise<void> {
  if (!(await store.getSite(siteId))) {
    throw new CliError(`unknown site "${siteId}"; add it first with: layersync-relay sites add --id ${siteId}`);
  }
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('layersync-relay')
    .description('LayerSync relay: signed event ingest and delivery to ad platforms, with its own SQLite store.')
    .addHelpText(
      'after',
      `\nEnvironment (every command reads LAYERSYNC_DB, default ./data/layersync.sqlite):\n  ${CONFIG_VARIABLES.join('\n  ')}\n`,
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

  const connect = program.command('connect').description('connect a site to an ad platform');
  connect
    .command('meta')
    .description('send a site\'s events to the Meta Conversions API (again to change the settings)')
    .requiredOption('--site <id>', 'site id')
    .requiredOption('--pixel <id>', 'Meta pixel (dataset) id, digits only, from Events Manager')
    .requiredOption('--token <token>', 'Conversions API access token (Events Manager → Settings)')
    .option('--test-event-code <code>', 'send as test events visible under Test events in Events Manager')
    .addOption(new Option('--dry-run', 'build and store payloads without sending them (preview)').default(false))
    .action(async (o: { site: string; pixel: string; token: string; testEventCode?: string; dryRun: boolean }) => {
      const meta = io.registry.meta;
      if (!meta) throw new CliError('this relay build has no Meta destination');
      const candidate: Record<string, string> = { pixel_id: o.pixel, access_token: o.token };
      if (o.testEventCode !== undefined) candidate.test_event_code = o.testEventCode;
      const parsed = meta.settings.safeParse(candidate);
      if (!parsed.success) {
        throw new CliError(`invalid Meta settings: ${describeIssues(parsed.error)}`);
      }
      await withStore(io, async (store) => {
        await requireSite(store, o.site);
        const mode = o.dryRun ? 'dry_run' : 'live';
        await store.upsertDestination({ siteId: o.site, slug: 'meta', enabled: true, mode, settings: parsed.data });
        io.out(
          `connected site ${o.site} to Meta pixel ${o.pixel} (${mode === 'dry_run' ? 'dry run: payloads are built and stored, nothing is sent' : 'live'})` +
            `${o.testEventCode ? `, test event code ${o.testEventCode}` : ''}\n`,
        );
      });
    });

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

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError || err instanceof ConfigError) {
      io.err(`error: ${err.message}\n`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
