/**
 * Relay configuration, read from the environment and parsed by zod once at start-up.
 * A wrong value stops the relay with a message that names the variable, says what it must be
 * and shows what it got, so a typo in a unit file is found in seconds, not after an outage.
 */
import path from 'node:path';
import { z } from 'zod';
import { DESTINATION_SLUGS, type DestinationSlug } from './destinations/types.js';
import { MAX_EVENTS_PER_REQUEST } from './contract/event.js';

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
  /** LAYERSYNC_<SLUG>_BASE_URL: API origin overrides per destination (includes meta's). */
  baseUrls?: Partial<Record<DestinationSlug, string>>;
  /** LAYERSYNC_VAULT_KEY: the key that seals secrets at rest (src/vault). Secret. */
  vaultKey?: string;
  /** LAYERSYNC_VAULT_KEY_FILE: a file holding that key. */
  vaultKeyFile?: string;
  /** LAYERSYNC_VAULT_PREVIOUS_KEYS: older keys that still open values during a rotation. Secret. */
  vaultPreviousKeys?: string[];
  /** LAYERSYNC_METRICS_PUBLIC: serve /metrics without the admin token. */
  metricsPublic?: boolean;
  /** LAYERSYNC_RETENTION_DAYS: events (with their deliveries and decisions) are deleted this many days after they arrived; 0 keeps them. */
  retentionDays: number;
  /** LAYERSYNC_INGEST_THREAD: commit ingest on a worker thread (default on; off runs it on the main thread). */
  ingestThread?: boolean;
  /** LAYERSYNC_INGEST_THREAD_YOUNG_MB: the ingest thread's young generation in MB (default 8; RSS against GC work). */
  ingestThreadYoungMb?: number;
  /** Idempotency window (s, at least 7 days): event_id and purchase/refund order_id dedup. */
  dedupWindowSeconds: number;
  /** Browser/server merge window (s): deliveries wait this long after an event's first copy. 0 disables merging. */
  mergeWindowSeconds: number;
  /** Sustained ingest limit per site in events per second; 0 disables it. */
  rateLimitEventsPerSecond: number;
  /** Burst per site in events (token bucket size), at least one full batch. */
  rateLimitBurst: number;
  /** Most batches one destination may have in flight at once. */
  destinationConcurrency: number;
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
  /** Never echo the value in an error (keys, tokens). */
  sensitive?: boolean;
}

const int = (min: number, max: number): Var<number> => ({
  schema: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max)),
  expect: `an integer ${min}-${max}`,
});

const bool: Var<boolean> = {
  schema: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off']))
    .transform((s) => ['1', 'true', 'yes', 'on'].includes(s)),
  expect: '1/true/yes/on or 0/false/no/off',
};

const withDefault = <T>(v: Var<T>, d: string): Var<T> => ({ ...v, default: d });

const VAULT_KEY_EXPECT = '32 bytes as 64 hex characters or base64 (generate one with: openssl rand -base64 32)';

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
    sensitive: true,
  } satisfies Var<string>,
  LAYERSYNC_WORKER_INTERVAL_MS: withDefault(int(10, 600_000), '1000'),
  LAYERSYNC_RETENTION_DAYS: withDefault(int(0, 3650), '90'),
  LAYERSYNC_WORKER_CONCURRENCY: withDefault(int(1, 256), '8'),
  LAYERSYNC_SHUTDOWN_TIMEOUT_MS: withDefault(int(0, 600_000), '10000'),
  LAYERSYNC_META_BASE_URL: httpUrl,
  LAYERSYNC_VAULT_KEY: { schema: z.string().refine(isVaultKey), expect: VAULT_KEY_EXPECT, sensitive: true } satisfies Var<string>,
  LAYERSYNC_VAULT_KEY_FILE: {
    schema: z.string().min(1).transform((p) => path.resolve(process.cwd(), p)),
    expect: 'the path of a file holding the vault key',
  } satisfies Var<string>,
  LAYERSYNC_VAULT_PREVIOUS_KEYS: {
    schema: z
      .string()
      .transform((s) => s.split(',').map((k) => k.trim()).filter((k) => k !== ''))
      .pipe(z.array(z.string().refine(isVaultKey)).min(1)),
    expect: `a comma-separated list of keys, each ${VAULT_KEY_EXPECT}`,
    sensitive: true,
  } satisfies Var<string[]>,
  LAYERSYNC_METRICS_PUBLIC: withDefault(bool, 'false'),
  LAYERSYNC_INGEST_THREAD: withDefault(bool, 'true'),
  LAYERSYNC_INGEST_THREAD_YOUNG_MB: withDefault(int(1, 256), '8'),
  LAYERSYNC_DEDUP_WINDOW_SECONDS: withDefault(int(7 * 86_400, 366 * 86_400), String(7 * 86_400)),
  LAYERSYNC_MERGE_WINDOW_SECONDS: withDefault(int(0, 300), '5'),
  LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: withDefault(int(0, 1_000_000), '2000'),
  // Default: two seconds' worth, and never less than one full batch.
  LAYERSYNC_RATE_LIMIT_BURST: int(MAX_EVENTS_PER_REQUEST, 100_000_000),
  LAYERSYNC_DESTINATION_CONCURRENCY: withDefault(int(1, 32), '1'),
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
    else problems.push(`${name} must be ${spec.expect}, got ${spec.sensitive ? `a value of ${input.length} characters` : JSON.stringify(input)}`);
  }
  const baseUrls: Partial<Record<DestinationSlug, string>> = {};
  for (const slug of DESTINATION_SLUGS) {
    const name = baseUrlVariable(slug);
    if (name in VARS) continue; // LAYERSYNC_META_BASE_URL, read above
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = httpUrl.schema.safeParse(raw);
    if (parsed.success) baseUrls[slug] = parsed.data;
    else problems.push(`${name} must be ${httpUrl.expect}, got ${JSON.stringify(raw)}`);
  }
  if (values.LAYERSYNC_META_BASE_URL !== undefined) baseUrls.meta = values.LAYERSYNC_META_BASE_URL as string;
  if (values.LAYERSYNC_VAULT_KEY !== undefined && values.LAYERSYNC_VAULT_KEY_FILE !== undefined) {
    problems.push('LAYERSYNC_VAULT_KEY and LAYERSYNC_VAULT_KEY_FILE are both set; set only one');
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
    retentionDays: values.LAYERSYNC_RETENTION_DAYS as number,
    workerConcurrency: values.LAYERSYNC_WORKER_CONCURRENCY as number,
    shutdownTimeoutMs: values.LAYERSYNC_SHUTDOWN_TIMEOUT_MS as number,
    metaBaseUrl: values.LAYERSYNC_META_BASE_URL as string | undefined,
    baseUrls,
    vaultKey: values.LAYERSYNC_VAULT_KEY as string | undefined,
    vaultKeyFile: values.LAYERSYNC_VAULT_KEY_FILE as string | undefined,
    vaultPreviousKeys: values.LAYERSYNC_VAULT_PREVIOUS_KEYS as string[] | undefined,
    metricsPublic: values.LAYERSYNC_METRICS_PUBLIC as boolean,
    ingestThread: values.LAYERSYNC_INGEST_THREAD as boolean,
    ingestThreadYoungMb: values.LAYERSYNC_INGEST_THREAD_YOUNG_MB as number,
    dedupWindowSeconds: values.LAYERSYNC_DEDUP_WINDOW_SECONDS as number,
    mergeWindowSeconds: values.LAYERSYNC_MERGE_WINDOW_SECONDS as number,
    rateLimitEventsPerSecond: values.LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND as number,
    rateLimitBurst:
      (values.LAYERSYNC_RATE_LIMIT_BURST as number | undefined) ??
      Math.max(MAX_EVENTS_PER_REQUEST, 2 * (values.LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND as number)),
    destinationConcurrency: values.LAYERSYNC_DESTINATION_CONCURRENCY as number,
  };
}

/** `LAYERSYNC_<SLUG>_BASE_URL`: a destination's API origin override (fake servers in tests, proxies). */
export function baseUrlVariable(slug: DestinationSlug): string {
  return `LAYERSYNC_${slug.toUpperCase()}_BASE_URL`;
}

/** Every destination's base URL variable, derived from the destination slugs (for --help and docs). */
export const BASE_URL_VARIABLES: string[] = DESTINATION_SLUGS.map(baseUrlVariable);

/** API origin overrides per destination: LAYERSYNC_<SLUG>_BASE_URL, and metaBaseUrl for older callers. */
export function destinationBaseUrls(config: Pick<Config, 'metaBaseUrl' | 'baseUrls'>): Partial<Record<DestinationSlug, string>> {
  return { ...(config.metaBaseUrl ? { meta: config.metaBaseUrl } : {}), ...config.baseUrls };
}

function isVaultKey(s: string): boolean {
  const t = s.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return true;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) && Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64').length === 32;
}
