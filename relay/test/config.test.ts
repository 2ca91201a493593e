import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8787,
      dbPath: path.resolve(process.cwd(), 'data/layersync.sqlite'),
      logLevel: 'info',
      bodyLimitBytes: 1_048_576,
      signatureToleranceSeconds: 300,
      adminToken: undefined,
      workerIntervalMs: 1000,
      workerConcurrency: 8,
      shutdownTimeoutMs: 10_000,
      metaBaseUrl: undefined,
      dedupWindowSeconds: 604_800,
      mergeWindowSeconds: 5,
      rateLimitEventsPerSecond: 2000,
      rateLimitBurst: 4000,
      destinationConcurrency: 1,
      baseUrls: {},
      metricsPublic: false,
      ingestThread: true,
      ingestThreadYoungMb: 8,
      retentionDays: 90,
    });
  });

  it('reads the pipeline variables and refuses a dedup window under 7 days or a burst under one batch', () => {
    expect(
      loadConfig({
        LAYERSYNC_DEDUP_WINDOW_SECONDS: '1209600',
        LAYERSYNC_MERGE_WINDOW_SECONDS: '0',
        LAYERSYNC_RATE_LIMIT_EVENTS_PER_SECOND: '100',
        LAYERSYNC_DESTINATION_CONCURRENCY: '4',
      }),
    ).toMatchObject({ dedupWindowSeconds: 1_209_600, mergeWindowSeconds: 0, rateLimitEventsPerSecond: 100, rateLimitBurst: 500, destinationConcurrency: 4 });
    expect(loadConfig({ LAYERSYNC_RATE_LIMIT_BURST: '10000' }).rateLimitBurst).toBe(10_000);
    expect(problems({ LAYERSYNC_DEDUP_WINDOW_SECONDS: '3600', LAYERSYNC_RATE_LIMIT_BURST: '10', LAYERSYNC_MERGE_WINDOW_SECONDS: '-1' })).toEqual([
      'LAYERSYNC_DEDUP_WINDOW_SECONDS must be an integer 604800-31622400, got "3600"',
      'LAYERSYNC_MERGE_WINDOW_SECONDS must be an integer 0-300, got "-1"',
      'LAYERSYNC_RATE_LIMIT_BURST must be an integer 500-100000000, got "10"',
    ]);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      LAYERSYNC_HOST: '0.0.0.0',
      LAYERSYNC_PORT: '9000',
      LAYERSYNC_DB: '/var/lib/layersync/relay.sqlite',
      LAYERSYNC_LOG_LEVEL: 'warn',
      LAYERSYNC_BODY_LIMIT_BYTES: '2048',
      LAYERSYNC_SIGNATURE_TOLERANCE_SECONDS: '60',
      LAYERSYNC_ADMIN_TOKEN: 'an-admin-token-of-some-length',
      LAYERSYNC_WORKER_INTERVAL_MS: '250',
      LAYERSYNC_WORKER_CONCURRENCY: '2',
      LAYERSYNC_SHUTDOWN_TIMEOUT_MS: '0',
      LAYERSYNC_META_BASE_URL: 'http://127.0.0.1:8790/',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      dbPath: '/var/lib/layersync/relay.sqlite',
      logLevel: 'warn',
      bodyLimitBytes: 2048,
      signatureToleranceSeconds: 60,
      adminToken: 'an-admin-token-of-some-length',
      workerIntervalMs: 250,
      workerConcurrency: 2,
      shutdownTimeoutMs: 0,
      metaBaseUrl: 'http://127.0.0.1:8790',
    });
  });

  it('names the variable, the expectation and the value it got', () => {
    expect(problems({ LAYERSYNC_PORT: 'abc' })).toEqual(['LAYERSYNC_PORT must be an integer 1-65535, got "abc"']);
    expect(problems({ LAYERSYNC_PORT: '70000' })).toEqual(['LAYERSYNC_PORT must be an integer 1-65535, got "70000"']);
    expect(problems({ LAYERSYNC_PORT: '80.5' })).toEqual(['LAYERSYNC_PORT must be an integer 1-65535, got "80.5"']);
    expect(problems({ LAYERSYNC_LOG_LEVEL: 'verbose' })).toEqual([
      'LAYERSYNC_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ]);
    expect(problems({ LAYERSYNC_META_BASE_URL: 'graph.example' })).toEqual([
      'LAYERSYNC_META_BASE_URL must be an http(s) origin such as http://127.0.0.1:8790 (no query string), got "graph.example"',
    ]);
    expect(problems({ LAYERSYNC_ADMIN_TOKEN: 'short' })[0]).toMatch(/^LAYERSYNC_ADMIN_TOKEN must be at least 16 printable characters/);
    expect(problems({ LAYERSYNC_BODY_LIMIT_BYTES: '10' })).toEqual(['LAYERSYNC_BODY_LIMIT_BYTES must be an integer 1024-67108864, got "10"']);
  });

  it('reports every bad variable at once', () => {
    const p = problems({ LAYERSYNC_PORT: '-1', LAYERSYNC_SIGNATURE_TOLERANCE_SECONDS: 'five', LAYERSYNC_WORKER_INTERVAL_MS: '1' });
    expect(p).toHaveLength(3);
    expect(p.map((s) => s.split(' ')[0])).toEqual(['LAYERSYNC_PORT', 'LAYERSYNC_SIGNATURE_TOLERANCE_SECONDS', 'LAYERSYNC_WORKER_INTERVAL_MS']);
    try {
      loadConfig({ LAYERSYNC_PORT: '-1' });
    } catch (err) {
      expect((err as Error).message).toBe('invalid configuration:\n  LAYERSYNC_PORT must be an integer 1-65535, got "-1"');
    }
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ LAYERSYNC_ADMIN_TOKEN: '', LAYERSYNC_PORT: '' })).toMatchObject({ adminToken: undefined, port: 8787 });
  });
});
