import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readSignedHeaders, signatureMatches } from '../../src/ingest/signature.js';
import { signRequest } from '../../src/sign.js';
import { uuidv7 } from '../../src/util/uuidv7.js';
import { UUID7_PATTERN } from '../helpers.js';

describe('signRequest', () => {
  it('signs "{request_id}.{timestamp}.{body}" with HMAC-SHA256 as v1=<hex>', () => {
    const body = '{"events":[]}';
    const h = signRequest({ siteId: 'shop', secret: 's3cret', body, requestId: 'req-00000001', timestamp: 1732390000 });
    const expected = createHmac('sha256', 's3cret').update('req-00000001.1732390000.{"events":[]}').digest('hex');
    expect(h).toEqual({
      'content-type': 'application/json',
      'x-layersync-site': 'shop',
      'x-layersync-request-id': 'req-00000001',
      'x-layersync-timestamp': '1732390000',
      'x-layersync-signature': `v1=${expected}`,
    });
  });

  it('signs bytes: a Buffer and its UTF-8 string give the same signature', () => {
    const text = '{"events":[{"n":"café"}]}';
    const a = signRequest({ siteId: 's', secret: 'k', body: text, requestId: 'req-00000001', timestamp: 1 });
    const b = signRequest({ siteId: 's', secret: 'k', body: Buffer.from(text), requestId: 'req-00000001', timestamp: 1 });
    expect(a['x-layersync-signature']).toBe(b['x-layersync-signature']);
  });

  it('defaults to a fresh UUIDv7 request id and the current time', () => {
    const before = Math.floor(Date.now() / 1000);
    const h = signRequest({ siteId: 's', secret: 'k', body: '{}' });
    expect(h['x-layersync-request-id']).toMatch(UUID7_PATTERN);
    expect(Number(h['x-layersync-timestamp'])).toBeGreaterThanOrEqual(before);
  });
});

describe('uuidv7', () => {
  it('is time-ordered', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13)).toBe('018bcfe5-6800');
  });
});

describe('signature verification', () => {
  const body = Buffer.from('{"events":[1]}');
  const headers = (secret: string) => signRequest({ siteId: 'shop', secret, body, requestId: 'req-00000001', timestamp: 1000 });

  it('matches any of the active secrets and none other', () => {
    const r = readSignedHeaders(headers('new-secret'));
    if (!r.ok) throw new Error('headers should parse');
    expect(signatureMatches(r.value, ['new-secret'], body)).toBe(true);
    expect(signatureMatches(r.value, ['old-secret', 'new-secret'], body)).toBe(true);
    expect(signatureMatches(r.value, ['old-secret'], body)).toBe(false);
    expect(signatureMatches(r.value, ['new-secret'], Buffer.from('{"events":[2]}'))).toBe(false);
  });

  it('accepts upper-case hex and several space-separated signatures', () => {
    const h = headers('k');
    const sig = h['x-layersync-signature']!.slice(3);
    const r = readSignedHeaders({ ...h, 'x-layersync-signature': `v1=${'f'.repeat(64)}  v1=${sig.toUpperCase()}` });
    if (!r.ok) throw new Error('headers should parse');
    expect(r.value.signatures).toHaveLength(2);
    expect(signatureMatches(r.value, ['k'], body)).toBe(true);
  });

  it('rejects malformed headers with a message saying what is expected', () => {
    const h = headers('k');
    const bad = (o: Record<string, string>) => {
      const r = readSignedHeaders({ ...h, ...o });
      return r.ok ? 'ok' : r.problem.message;
    };
    expect(bad({ 'x-layersync-site': 'bad site!' })).toBe(
      'X-LayerSync-Site must be a site id (letters, digits, "_", "." or "-", at most 64), got "bad site!"',
    );
    expect(bad({ 'x-layersync-request-id': 'x' })).toMatch(/^X-LayerSync-Request-Id must be a fresh UUID per request/);
    expect(bad({ 'x-layersync-timestamp': '-5' })).toBe('X-LayerSync-Timestamp must be unix time in whole seconds, got "-5"');
    expect(bad({ 'x-layersync-signature': `v2=${'a'.repeat(64)}` })).toMatch(/^X-LayerSync-Signature must be "v1="/);
    expect(bad({ 'x-layersync-signature': 'v1=abc' })).toMatch(/^X-LayerSync-Signature must be "v1="/);
    expect(bad({})).toBe('ok');
  });
});
