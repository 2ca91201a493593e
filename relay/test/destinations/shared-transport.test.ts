import { describe, expect, it } from 'vitest';
import { TIMEOUT_CODES, errorCode, transportFailure, transportRetry } from '../../src/destinations/shared/transport.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const wrapped = (code: string): Error => new TypeError('fetch failed', { cause: withCode(`connect ${code} 127.0.0.1:9`, code) });

describe('errorCode', () => {
  it("reads the error's own string code", () => {
    expect(errorCode(withCode('refused', 'ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(errorCode({ code: 'ECONNRESET' })).toBe('ECONNRESET');
  });

  it('follows the cause chain unless told not to', () => {
    expect(errorCode(wrapped('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(errorCode(wrapped('ECONNREFUSED'), { followCause: false })).toBeUndefined();
  });

  it('ignores non-string codes, primitives and a cause that is the error itself', () => {
    expect(errorCode({ code: 42 })).toBeUndefined();
    expect(errorCode('ECONNREFUSED')).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(errorCode(loop)).toBeUndefined();
  });
});

describe('transportFailure', () => {
  it('knows undici and Node timeout codes', () => {
    expect([...TIMEOUT_CODES].sort()).toEqual(['ETIMEDOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);
    for (const code of TIMEOUT_CODES) expect(transportFailure(withCode('slow', code), { aborted: false })).toEqual({ kind: 'timeout', code });
  });

  it('a timeout wins over an abort; an abort wins over a network error', () => {
    expect(transportFailure(withCode('slow', 'UND_ERR_HEADERS_TIMEOUT'), { aborted: true }).kind).toBe('timeout');
    expect(transportFailure(withCode('aborted', 'UND_ERR_ABORTED'), { aborted: true })).toEqual({ kind: 'aborted', code: 'UND_ERR_ABORTED' });
  });

  it('a network error keeps the raw message (the caller redacts it)', () => {
    expect(transportFailure(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), { aborted: false })).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(transportFailure('boom', { aborted: false })).toEqual({ kind: 'network', code: undefined, message: 'boom' });
  });

  it('with followCause false, a timeout code on the cause is a network error', () => {
    expect(transportFailure(wrapped('UND_ERR_CONNECT_TIMEOUT'), { aborted: false }).kind).toBe('timeout');
    expect(transportFailure(wrapped('UND_ERR_CONNECT_TIMEOUT'), { aborted: false, followCause: false })).toEqual({
      kind: 'network',
      code: undefined,
      message: 'fetch failed',
    });
  });
});

describe('transportRetry', () => {
  const opts = { platform: 'Meta', timeoutMs: 5_000, aborted: false, redact: (t: string) => t.replace('secret-token', '[redacted]') };

  it('words a timeout with the timeout', () => {
    expect(transportRetry(withCode('slow', 'UND_ERR_BODY_TIMEOUT'), opts)).toEqual({
      problem: 'timeout',
      error: 'Meta did not answer within 5 s; LayerSync will retry.',
    });
    expect(transportRetry(withCode('slow', 'ETIMEDOUT'), { ...opts, timeoutMs: 800 }).error).toBe('Meta did not answer within 800 ms; LayerSync will retry.');
  });

  it('words an abort as the relay stopping', () => {
    expect(transportRetry(new Error('This operation was aborted'), { ...opts, aborted: true })).toEqual({
      problem: 'unreachable',
      error: 'Sending to Meta was interrupted (the relay is stopping); LayerSync will retry.',
    });
  });

  it('names the code and the redacted message of a network error', () => {
    expect(transportRetry(withCode('GET https://x/?t=secret-token failed', 'ECONNRESET'), opts)).toEqual({
      problem: 'unreachable',
      error: 'Could not reach Meta (ECONNRESET: GET https://x/?t=[redacted] failed); LayerSync will retry.',
    });
    expect(transportRetry(new Error('socket hang up'), opts).error).toBe('Could not reach Meta (network error: socket hang up); LayerSync will retry.');
  });
});
