import { describe, expect, it } from 'vitest';
import { destinations } from '../../src/destinations/registry.js';

describe('destination registry', () => {
  it('keys every destination by its own slug', () => {
    for (const [key, d] of Object.entries(destinations)) expect(d.slug).toBe(key);
  });

  it('every destination declares what the shared worker needs', () => {
    for (const d of Object.values(destinations)) {
      expect(d.maxBatchSize).toBeGreaterThan(0);
      expect(d.maxEventAgeSeconds).toBeGreaterThan(0);
      expect(Object.keys(d.defaultEventMap).length).toBeGreaterThan(0);
      expect(d.defaultBaseUrl).toMatch(/^https:\/\//);
    }
  });
});

describe('registry and configuration', () => {
  it('registers exactly the slugs DestinationSlug names', async () => {
    const { DESTINATION_SLUGS } = await import('../../src/destinations/types.js');
    expect(Object.keys(destinations).sort()).toEqual([...DESTINATION_SLUGS].sort());
  });

  it('derives LAYERSYNC_<SLUG>_BASE_URL for every registered destination', async () => {
    const { BASE_URL_VARIABLES, baseUrlVariable, destinationBaseUrls, loadConfig } = await import('../../src/config.js');
    expect(BASE_URL_VARIABLES).toEqual(Object.keys(destinations).map((k) => `LAYERSYNC_${k.toUpperCase()}_BASE_URL`));
    const env: Record<string, string> = {};
    for (const [i, slug] of Object.keys(destinations).entries()) env[baseUrlVariable(slug as never)] = `http://127.0.0.1:${9000 + i}/`;
    const config = loadConfig(env);
    expect(destinationBaseUrls(config)).toEqual(Object.fromEntries(Object.keys(destinations).map((slug, i) => [slug, `http://127.0.0.1:${9000 + i}`])));
    expect(config.metaBaseUrl).toBe('http://127.0.0.1:9000');
    expect(() => loadConfig({ LAYERSYNC_GA4_BASE_URL: 'not a url' })).toThrow(
      'LAYERSYNC_GA4_BASE_URL must be an http(s) origin such as http://127.0.0.1:8790 (no query string), got "not a url"',
    );
  });
});
