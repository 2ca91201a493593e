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
