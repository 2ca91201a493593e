/**
 * `layersync-relay connect <platform>`: one subcommand per registered destination, generated from
 * its settings schema (a `--<field-name>` option per setting, with the schema's title and help),
 * so adding a destination adds its command. A few short aliases keep older commands working
 * (`connect meta --pixel … --token …`).
 */
import { Option, type Command } from 'commander';
import { settingsFields, type SettingsField } from '../admin/destination-types.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import type { Destination } from '../destinations/types.js';
import { describeIssues } from '../ingest/issues.js';

/** CLI-only extras per destination: a short name for messages, option aliases, a summary. */
interface CliExtras {
  name: string;
  /** setting name → alias option name (without dashes). */
  aliases?: Record<string, string>;
  /** What was connected, e.g. "Meta pixel 1234". */
  summary?: (settings: Record<string, unknown>) => string;
}

const EXTRAS: Record<string, CliExtras> = {
  meta: { name: 'Meta', aliases: { pixel_id: 'pixel', access_token: 'token' }, summary: (s) => `Meta pixel ${String(s.pixel_id)}` },
  ga4: { name: 'GA4', summary: (s) => `GA4 measurement ID ${String(s.measurement_id)}` },
  tiktok: { name: 'TikTok', aliases: { access_token: 'token' }, summary: (s) => `TikTok pixel ${String(s.pixel_code)}` },
  google_ads: { name: 'Google Ads', summary: (s) => `Google Ads customer ${String(s.customer_id)}` },
};

const kebab = (name: string) => name.replace(/_/g, '-');
const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export class ConnectInputError extends Error {}

export interface ConnectRequest {
  siteId: string;
  slug: string;
  settings: Record<string, unknown>;
  mode: 'live' | 'dry_run';
  enabled: boolean;
}

function optionHelp(f: SettingsField, alias: string | undefined): string {
  const parts = [f.title];
  if (f.required) parts.push('(required)');
  if (f.default !== undefined) parts.push(`(default ${JSON.stringify(f.default)})`);
  if (f.secret) parts.push('— secret: stored encrypted, never printed');
  if (alias) parts.push(`— alias --${alias}`);
  let text = parts.join(' ');
  if (f.description) text += `. ${f.description}`;
  if (f.type === 'object') text += ' Give it as JSON.';
  return text;
}

/** Adds `connect <platform>` subcommands to `connect`; `run` stores what was asked. */
export function addConnectCommands(
  connect: Command,
  registry: Partial<DestinationRegistry>,
  run: (req: ConnectRequest, describe: (settings: Record<string, unknown>) => string) => Promise<void>,
): void {
  for (const impl of Object.values(registry as Partial<Record<string, Destination<unknown>>>)) {
    if (!impl) continue;
    const extras = EXTRAS[impl.slug] ?? { name: impl.label };
    const fields = settingsFields(impl);
    const cmd = connect
      .command(impl.slug)
      .description(`send a site's events to ${impl.label} (run it again to change the settings)`)
      .requiredOption('--site <id>', 'site id');
    if (impl.slug.includes('_')) cmd.alias(kebab(impl.slug));
    for (const f of fields) {
      const flag = `--${kebab(f.name)}`;
      const alias = extras.aliases?.[f.name];
      if (f.type === 'boolean') {
        cmd.addOption(new Option(flag, optionHelp(f, alias)));
        cmd.addOption(new Option(`--no-${kebab(f.name)}`, `turn ${f.title} off`));
      } else {
        const opt = new Option(`${flag} <${f.type === 'object' ? 'json' : 'value'}>`, optionHelp(f, alias));
        if (f.enum) opt.choices(f.enum);
        cmd.addOption(opt);
        if (alias) cmd.addOption(new Option(`--${alias} <value>`, `same as ${flag}`));
      }
    }
    cmd.addOption(new Option('--dry-run', 'build and store payloads without sending them (preview)').default(false));
    cmd.addOption(new Option('--disabled', 'store the connection but deliver nothing until it is enabled').default(false));
    cmd.addHelpText('after', `\nSettings are validated by the ${impl.label} settings schema; secret values are encrypted at rest and only shown masked.\n`);

    cmd.action(async (o: Record<string, unknown>) => {
      const settings: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const f of fields) {
        const flag = kebab(f.name);
        const alias = extras.aliases?.[f.name];
        let v = o[camel(flag)];
        const viaAlias = alias === undefined ? undefined : o[camel(alias)];
        if (v !== undefined && viaAlias !== undefined && v !== viaAlias) {
          throw new ConnectInputError(`--${flag} and --${alias} disagree; give only one of them`);
        }
        v ??= viaAlias;
        if (v === undefined) {
          if (f.required) missing.push(`--${flag}${alias ? ` (or --${alias})` : ''} <value>: ${f.title}`);
          continue;
        }
        if (f.type === 'object') {
          try {
            v = JSON.parse(String(v)) as unknown;
          } catch {
            throw new ConnectInputError(`--${flag} must be JSON, e.g. '{"purchase": "123456789"}'`);
          }
        } else if ((f.type === 'number' || f.type === 'integer') && typeof v === 'string') {
          const n = Number(v);
          if (!Number.isFinite(n)) throw new ConnectInputError(`--${flag} must be a number, got "${v}"`);
          v = n;
        }
        settings[f.name] = v;
      }
      if (missing.length > 0) {
        throw new ConnectInputError(`missing ${missing.join('; ')} (see: layersync-relay connect ${impl.slug} --help)`);
      }
      const parsed = impl.settings.safeParse(settings);
      if (!parsed.success) {
        const flags = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')).filter((k) => k !== ''))].map((k) => {
          const alias = extras.aliases?.[k];
          return `${k} is --${kebab(k)}${alias ? ` or --${alias}` : ''}`;
        });
        throw new ConnectInputError(`invalid ${extras.name} settings: ${describeIssues(parsed.error)}${flags.length ? ` (${flags.join('; ')})` : ''}`);
      }
      const describe = (s: Record<string, unknown>) => (extras.summary ? extras.summary(s) : impl.label);
      await run(
        { siteId: String(o.site), slug: impl.slug, settings, mode: o.dryRun === true ? 'dry_run' : 'live', enabled: o.disabled !== true },
        describe,
      );
    });
  }
}
