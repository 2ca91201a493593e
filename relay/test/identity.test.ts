import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashIdentity, normalizeIdentity, type HashedKey } from '../src/identity/normalize.js';

interface Vector {
  key: HashedKey;
  input: string;
  normalized: string;
  country?: string;
}
const shared = JSON.parse(readFileSync(new URL('../../docs/identity-vectors.json', import.meta.url), 'utf8')) as {
  default_region: string;
  vectors: Vector[];
};

describe('identity normalization (shared vectors, docs/identity-vectors.json)', () => {
  it.each(shared.vectors.map((v) => [v.key, v.input, v.normalized, v] as const))('%s %j → %j', (key, input, normalized, v) => {
    const opts = { defaultCountry: shared.default_region, country: v.country };
    expect(normalizeIdentity(key, input, opts)).toBe(normalized);
    const expectedHash = normalized === '' ? undefined : createHash('sha256').update(normalized).digest('hex');
    expect(hashIdentity(key, input, opts)).toBe(expectedHash);
  });

  it('matches Meta’s documented test vectors', () => {
    expect(hashIdentity('em', 'John_Smith@gmail.com')?.slice(0, 8)).toBe('62a14e44');
    expect(hashIdentity('ph', '(650)555-1212', { defaultCountry: 'US' })?.slice(0, 8)).toBe('e323ec62');
  });

  it('refuses values that are not what the key says', () => {
    expect(normalizeIdentity('em', 'not-an-email')).toBe('');
    expect(normalizeIdentity('country', 'United States')).toBe('');
    expect(normalizeIdentity('ge', 'x')).toBe('');
    expect(normalizeIdentity('db', 'yesterday')).toBe('');
  });
});
