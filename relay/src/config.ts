/**
 * Relay configuration, read from the environment and parsed by zod once at start-up.
 * A wrong value stops the relay with a message that names the variable, says what it must be
 * and shows what it got, so a typo in a unit file is found in seconds, not after an outage.
 */
import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Config {
  host: string;
  port: number;
  /** Absolute path of the SQLite file. */
  dbPath: string;
  logLevel: (typeof LOG_LEVELS)[number];
  bodyLimitBytes: number;
  signatureToleranceSeconds: number;
  /** Enables the admin read API when set. */
  adminToken: string | undefined;
  workerIntervalMs: number;
  /** Most destinations delivering at the same time; one slow platform holds at most one slot. */
  workerConcurrency: number;
  /** How long shutdown waits for in-flight deliveries before aborting them. */
  shutdownTimeoutMs: number;
  /** Overrides Meta's Graph API origin (fake servers in tests, proxies). */
  metaBaseUrl: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** One variable: its zod schema (over the raw string), what it must be in words, and a default. */
interface Var<T> {
  schema: z.ZodType<T, string>;
  expect: string;
  default?: string;
}

const int = (min: number, max: number): Var<number> => ({
  schema: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max)),
  expect: `an integer ${min}-${max}`,
});

const withDefault = <T>(v: Var<T>, d: string): Var<T> => ({ ...v, default: d });

const httpUrl: Var<string> = {
  schema: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/)
    .transform((s) => s.replace(/\/+$/, '')),
  expect: 'an http(s) origin such as http://127.0.0.1:8790 (no query string)',
};

const VARS = {
  LAYERSYNC_HOST: withDefault<string>(
    { schema: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/), expect: 'a host name or IP address to listen on' },
    '127.0.0.1',
  ),
  LAYERSYNC_PORT: withDefault(int(1, 65535), '8787'),
  LAYERSYNC_DB: withDefault<string>(
    { schema: z.string().min(1).transform((p) => path.resolve(process.cwd(), p)), expect: 'a file path' },
    './data/layersync.sqlite',
  ),
  LAYERSYNC_LOG_LEVEL: withDefault<Config['logLevel']>(
    { schema: z.enum(LOG_LEVELS), expect: `one of ${LOG_LEVELS.join(', ')}` },
    'info',
  ),
  LAYERSYNC_BODY_LIMIT_BYTES: withDefault(int(1024, 64 * 1024 * 1024), String(1024 * 1024)),
  LAYERSYNC_SIGNATURE_TOLERANCE_SECONDS: withDefault(int(1, 3600), '300'),
  LAYERSYNC_ADMIN_TOKEN: {
    schema: z.string().min(16).regex(/^[\x21-\x7e]+$/),
    expect: 'at least 16 printable characters without spaces (generate one with: openssl rand -hex 24)',
  } satisfies Var<string>,
  LAYERSYNC_WORKER_INTERVAL_MS: withDefault(int(10, 600_000), '1000'),
  LAYERSYNC_WORKER_CONCURRENCY: withDefault(int(1, 256), '8'),
  LAYERSYNC_SHUTDOWN_TIMEOUT_MS: withDefault(int(0, 600_000), '10000'),
  LAYERSYNC_META_BASE_URL: httpUrl,
} as const;

type VarName = keyof typeof VARS;

/** The variables the relay reads, for `--help` texts and docs. */
export const CONFIG_VARIABLES = Object.keys(VARS) as VarName[];

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const values: Partial<Record<VarName, unknown>> = {};
  for (const name of CONFIG_VARIABLES) {
    const spec: Var<unknown> = VARS[name];
    // An empty value means "unset": `LAYERSYNC_ADMIN_TOKEN=` in a unit file disables the API.
    const raw = env[name] === '' ? undefined : env[name];
    const input = raw ?? spec.default;
    if (input === undefined) continue;
    const parsed = spec.schema.safeParse(input);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`${name} must be ${spec.expect}, got ${JSON.stringify(input)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: values.LAYERSYNC_HOST as string,
    port: values.LAYERSYNC_PORT as number,
    dbPath: values.LAYERSYNC_DB as string,
    logLevel: values.LAYERSYNC_LOG_LEVEL as Config['logLevel'],
    bodyLimitBytes: values.LAYERSYNC_BODY_LIMIT_BYTES as number,
    signatureToleranceSeconds: values.LAYERSYNC_SIGNATURE_TOLERANCE_SECONDS as number,
    adminToken: values.LAYERSYNC_ADMIN_TOKEN as string | undefined,
    workerIntervalMs: values.LAYERSYNC_WORKER_INTERVAL_MS as number,
    workerConcurrency: values.LAYERSYNC_WORKER_CONCURRENCY as number,
    shutdownTimeoutMs: values.LAYERSYNC_SHUTDOWN_TIMEOUT_MS as number,
    metaBaseUrl: values.LAYERSYNC_META_BASE_URL as string | undefined,
  };
}
