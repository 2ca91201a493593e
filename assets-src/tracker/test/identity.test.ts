/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { type HashedKey, PII_PROPS, hashIdentity, normalize, sha256Hex } from '../src/identity';
import { sha256 } from './helpers';

interface Vector {
  key: HashedKey;
  input: string;
  normalized: string;
  country?: string;
}
const VECTORS = JSON.parse(
  readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/identity-vectors.json'), 'utf8'),
) as { default_calling_code: string; vectors: Vector[] };

describe('shared normalization vectors (docs/identity-vectors.json, also run by the PHP and relay tests)', () => {
  it.each(VECTORS.vectors.map((v) => [v.key, v.input, v.normalized, v] as const))('%s %j → %j', (key, input, normalized, v) => {
    expect(normalize(key, input, { callingCode: VECTORS.default_calling_code, country: v.country })).toBe(normalized);
  });

  it('covers every identity key the tracker hashes', () => {
    expect(new Set(VECTORS.vectors.map((v) => v.key))).toEqual(new Set(PII_PROPS.map(([, key]) => key)));
  });
});

describe('sha256Hex', () => {
  it('matches node:crypto, including non-ASCII UTF-8', async () => {
    for (const s of ['jane.doe@example.com', 'valéry', '정', '']) expect(await sha256Hex(s)).toBe(sha256(s));
  });
});

describe('hashIdentity', () => {
  it('hashes the trimmed, lowercased email', async () => {
    const identity = await hashIdentity({ email: ' Jane.Doe@Example.com ' });
    expect(identity).toEqual({ em: sha256('jane.doe@example.com'), em_google: sha256('jane.doe@example.com'), em_reddit: sha256('janedoe@example.com') });
    expect(identity.em).toMatch(/^[a-f0-9]{64}$/);
  });

  it('normalizes every field as docs/CONTRACT.md says', async () => {
    const warn = vi.spyOn(console, 'warn');
    const identity = await hashIdentity(
      {
        email: 'A@B.CO',
        phone: '(650) 555-1212',
        first_name: ' Valéry ',
        last_name: "O'Brien-Smith",
        gender: 'Female',
        date_of_birth: '1997/2/16',
        city: ' New York ',
        state: 'CA ',
        zip: '94035-1234',
        country: 'US',
        external_id: '  Customer-42 ',
      },
      '1',
    );
    expect(identity).toEqual({
      em: sha256('a@b.co'),
      em_google: sha256('a@b.co'),
      em_reddit: sha256('a@b.co'),
      ph: sha256('16505551212'),
      ph_e164: sha256('+16505551212'),
      fn: sha256('valéry'),
      ln: sha256('obriensmith'),
      ge: sha256('f'),
      db: sha256('19970216'),
      ct: sha256('newyork'),
      st: sha256('ca'),
      zp: sha256('94035'),
      country: sha256('us'),
      external_id: sha256('Customer-42'),
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('accepts numbers where people pass them (zip, phone, customer id)', async () => {
    expect(await hashIdentity({ zip: 10115, phone: '+49 151 12345678', external_id: 42 })).toEqual({
      zp: sha256('10115'),
      ph: sha256('4915112345678'),
      ph_e164: sha256('+4915112345678'),
      external_id: sha256('42'),
    });
  });

  it('drops unusable values with a warning instead of hashing garbage', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const identity = await hashIdentity({
      email: 'not-an-email',
      phone: '+12',
      country: 'Germany',
      city: {},
      gender: 'x',
      date_of_birth: '1997-02-30',
      first_name: '',
    });
    expect(identity).toEqual({});
    expect(warn).toHaveBeenCalledTimes(6);
  });

  it('drops national phone numbers when the store calling code is unknown', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await hashIdentity({ phone: '030 1234567' })).toEqual({});
    expect(String(warn.mock.calls[0])).toContain('default_calling_code');
    expect(await hashIdentity({ phone: '030 1234567' }, '49')).toEqual({ ph: sha256('49301234567'), ph_e164: sha256('+49301234567') });
  });

  it('passes through identity keys that are already SHA-256 digests, and only those', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const digest = sha256('x@y.z');
    expect(await hashIdentity({ em: digest.toUpperCase(), ph: '+49 151' })).toEqual({ em: digest });
  });

  it('drops identifiers without SubtleCrypto (plain-HTTP pages) rather than sending them raw', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    expect(await hashIdentity({ email: 'jane@example.com' })).toEqual({});
    expect(String(warn.mock.calls[0])).toContain('secure');
  });
});

describe('phone normalization', () => {
  it.each([
    ['+1 (650) 555-1212', '1', '16505551212'],
    ['0049 151 1234 5678', '1', '4915112345678'],
    ['+44 (0)20 7946 0958', '1', '442079460958'],
    ['020 7946 0958', '44', '442079460958'], // national: trunk 0 dropped, store code prefixed
    ['650-555-1212', '1', '16505551212'],
  ])('%s (store code %s) → %s', (input, callingCode, expected) => {
    expect(normalize('ph', input, { callingCode })).toBe(expected);
  });

  it('rejects what cannot be an E.164 number', () => {
    expect(normalize('ph', '+1 555', { callingCode: '1' })).toBe('');
    expect(normalize('ph', '+1234567890123456', { callingCode: '1' })).toBe('');
    expect(normalize('ph', '000', { callingCode: '1' })).toBe('');
  });
});

describe('platform variants (em_google, em_reddit, ph_e164)', () => {
  it('hashes each variant of one email and phone from the same raw value', async () => {
    const identity = await hashIdentity({ email: ' Cloudy.SanFrancisco+Shopping@GMAIL.com ', phone: '+44 (0)20 7946 0958' });
    expect(identity).toEqual({
      em: sha256('cloudy.sanfrancisco+shopping@gmail.com'),
      em_google: sha256('cloudysanfrancisco@gmail.com'),
      em_reddit: sha256('cloudysanfrancisco@gmail.com'),
      ph: sha256('442079460958'),
      ph_e164: sha256('+442079460958'),
    });
  });

  it('keeps dots and tags for Google outside gmail.com but not for Reddit', async () => {
    const identity = await hashIdentity({ email: 'user.name+NYC@Example.com' });
    expect(identity.em_google).toBe(sha256('user.name+nyc@example.com'));
    expect(identity.em_reddit).toBe(sha256('username@example.com'));
  });

  it('accepts pre-hashed variants and warns once (not per variant) for an unusable value', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const digest = sha256('x');
    expect(await hashIdentity({ em_google: digest, ph_e164: digest.toUpperCase() })).toEqual({ em_google: digest, ph_e164: digest });
    expect(await hashIdentity({ email: 'nope' })).toEqual({});
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
