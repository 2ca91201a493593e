import { describe, expect, it } from 'vitest';
import { parseJson, parseJsonObject } from '../../src/destinations/shared/json.js';
import {
  chunked,
  diagnosis,
  isTransientStatus,
  notSentAfter,
  outcomeMessage,
  repeatOutcome,
  sendInChunks,
  temporaryFailure,
  transientProblem,
  withRetryAfter,
} from '../../src/destinations/shared/outcome.js';
import { trimTrailingSlash } from '../../src/destinations/shared/url.js';
import type { DeliveryOutcome } from '../../src/destinations/types.js';

describe('withRetryAfter and repeatOutcome', () => {
  it('adds retryAfterMs only when a wait is known', () => {
    const retry = { kind: 'retry', status: 503, error: 'down' } as const;
    expect(withRetryAfter(retry, undefined)).toBe(retry);
    expect(withRetryAfter(retry, 0)).toEqual({ kind: 'retry', status: 503, error: 'down', retryAfterMs: 0 });
    expect(retry).not.toHaveProperty('retryAfterMs');
  });

  it('repeats an outcome as separate copies', () => {
    const drop: DeliveryOutcome = { kind: 'drop', status: 400, error: 'bad' };
    const all = repeatOutcome(drop, 3);
    expect(all).toEqual([drop, drop, drop]);
    expect(new Set(all).size).toBe(3);
    expect(all[0]).not.toBe(drop);
    expect(repeatOutcome(drop, 0)).toEqual([]);
  });
});

describe('transient statuses', () => {
  it('429, 408 and 5xx are transient; other statuses are not', () => {
    for (const s of [429, 408, 500, 502, 503, 504, 599]) expect(isTransientStatus(s)).toBe(true);
    for (const s of [200, 301, 400, 401, 403, 404, 409, 410, 422]) expect(isTransientStatus(s)).toBe(false);
    expect(transientProblem(429)).toBe('rate_limited');
    expect(transientProblem(408)).toBe('unavailable');
    expect(transientProblem(503)).toBe('unavailable');
  });

  it('temporaryFailure words throttling and outages, with the wait', () => {
    expect(temporaryFailure('rate_limited', { platform: 'X', status: 429, ref: 'HTTP 429, TOO_MANY_REQUESTS', detail: ' Slow down.', retryAfterMs: 9_000 })).toEqual({
      problem: 'rate_limited',
      outcome: {
        kind: 'retry',
        status: 429,
        error: 'X is rate limiting requests (HTTP 429, TOO_MANY_REQUESTS). Slow down. — LayerSync will retry in 9 s.',
        retryAfterMs: 9_000,
      },
    });
    expect(temporaryFailure('unavailable', { platform: 'Klaviyo', status: 503, ref: 'HTTP 503', detail: '', retryAfterMs: undefined })).toEqual({
      problem: 'unavailable',
      outcome: { kind: 'retry', status: 503, error: 'Klaviyo had a temporary problem (HTTP 503). — LayerSync will retry.' },
    });
  });
});

describe('notSentAfter', () => {
  it('names the cause and keeps its wait', () => {
    expect(notSentAfter({ kind: 'retry', status: 429, error: 'Throttled.', retryAfterMs: 5_000 })).toEqual({
      kind: 'retry',
      error: 'Not sent: an earlier event of this batch failed first. Throttled.',
      retryAfterMs: 5_000,
    });
    expect(notSentAfter({ kind: 'auth', status: 401, error: 'Bad key.' })).toEqual({
      kind: 'retry',
      error: 'Not sent: an earlier event of this batch failed first. Bad key.',
    });
    expect(notSentAfter({ kind: 'defer', untilMs: 1, reason: 'later' })).toEqual({
      kind: 'retry',
      error: 'Not sent: an earlier event of this batch failed first. an earlier event of this batch failed',
    });
  });
});

describe('outcomeMessage and diagnosis', () => {
  it('reads an error or a deferral reason', () => {
    expect(outcomeMessage({ kind: 'drop', error: 'refused' })).toBe('refused');
    expect(outcomeMessage({ kind: 'defer', untilMs: 1, reason: 'too recent' })).toBe('too recent');
    expect(diagnosis(false, 'timeout', 'slow')).toEqual({ ok: false, code: 'timeout', message: 'slow' });
  });
});

describe('chunked and sendInChunks', () => {
  it('slices in order, the last slice shorter', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([1, 2], 5)).toEqual([[1, 2]]);
    expect(chunked([], 3)).toEqual([]);
  });

  it('sends slices one after another and keeps payload order', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    const outcomes = await sendInChunks([1, 2, 3, 4, 5], 2, async (chunk) => {
      inFlight++;
      expect(inFlight).toBe(1);
      calls.push(chunk);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return chunk.map((n): DeliveryOutcome => ({ kind: 'delivered', status: 200, response: String(n) }));
    });
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
    expect(outcomes.map((o) => (o.kind === 'delivered' ? o.response : o.kind))).toEqual(['1', '2', '3', '4', '5']);
    expect(await sendInChunks([], 10, async () => [{ kind: 'drop', error: 'never called' }])).toEqual([]);
  });
});

describe('parseJson, parseJsonObject and trimTrailingSlash', () => {
  it('parses JSON or says it is not', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson('null')).toBeNull();
    expect(parseJson('<html>')).toBeUndefined();
    expect(parseJson('')).toBeUndefined();
  });

  it('parseJsonObject keeps objects and arrays only', () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonObject('[1]')).toEqual([1]);
    expect(parseJsonObject('null')).toBeUndefined();
    expect(parseJsonObject('"text"')).toBeUndefined();
    expect(parseJsonObject('nope')).toBeUndefined();
  });

  it('trims one trailing slash', () => {
    expect(trimTrailingSlash('https://api.example/')).toBe('https://api.example');
    expect(trimTrailingSlash('https://api.example')).toBe('https://api.example');
    expect(trimTrailingSlash('https://api.example//')).toBe('https://api.example/');
  });
});
