import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryAfterFromHeaders, retryNote, type RetryHint } from '../../src/destinations/shared/retry-after.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('  7 ', NOW)).toBe(7_000);
  });

  it('reads an HTTP date as the time until it, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW)).toBe(0);
  });

  it('is undefined when absent, empty or neither form', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('   ', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });

  it('leaves anything not delta-seconds to Date.parse, which reads some non-dates as past dates', () => {
    // V8 reads "-5" and "1.5" as days of 2001, so they mean "no wait", as they did in every
    // destination before the helpers were shared.
    expect(parseRetryAfter('-5', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(0);
  });
});

describe('retryAfterFromHeaders', () => {
  const hint: RetryHint = (headers, nowMs) => (headers['x-reset'] ? Number(headers['x-reset']) * 1000 - nowMs : undefined);

  it('reads the lower-case retry-after header', () => {
    expect(retryAfterFromHeaders({ 'retry-after': '3' }, NOW)).toBe(3_000);
    expect(retryAfterFromHeaders({}, NOW)).toBeUndefined();
  });

  it('asks the platform hint only when Retry-After says nothing usable', () => {
    const reset = String(NOW / 1000 + 60);
    expect(retryAfterFromHeaders({ 'retry-after': '3', 'x-reset': reset }, NOW, hint)).toBe(3_000);
    expect(retryAfterFromHeaders({ 'retry-after': '0', 'x-reset': reset }, NOW, hint)).toBe(0);
    expect(retryAfterFromHeaders({ 'retry-after': 'later', 'x-reset': reset }, NOW, hint)).toBe(60_000);
    expect(retryAfterFromHeaders({ 'x-reset': reset }, NOW, hint)).toBe(60_000);
    expect(retryAfterFromHeaders({}, NOW, hint)).toBeUndefined();
  });
});

describe('retryNote', () => {
  it('completes "LayerSync will retry…" when a wait is known', () => {
    expect(retryNote(undefined)).toBe('');
    expect(retryNote(500)).toBe(' in 500 ms');
    expect(retryNote(7_000)).toBe(' in 7 s');
    expect(retryNote(300_000)).toBe(' in 5 min');
  });
});
