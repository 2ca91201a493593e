import { describe, expect, it } from 'vitest';
import { REDACTED, redactBearerTokens, redactSecrets } from '../../src/destinations/shared/redact.js';
import { SNIPPET_MAX, bodySnippet, collapseWhitespace, formatAge, formatMs, sentence, truncate } from '../../src/destinations/shared/text.js';

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redactSecrets('a=tok-1234 b=tok-1234 c=key-5678', ['tok-1234', 'key-5678'])).toBe(`a=${REDACTED} b=${REDACTED} c=${REDACTED}`);
  });

  it('leaves secrets shorter than minLength alone, and never treats "" as a secret', () => {
    expect(redactSecrets('abc abcdefgh', ['abc'], 8)).toBe('abc abcdefgh');
    expect(redactSecrets('abc abcdefgh', ['abcdefgh'], 8)).toBe(`abc ${REDACTED}`);
    expect(redactSecrets('abc', ['a'])).toBe(`${REDACTED}bc`);
    expect(redactSecrets('abc', [''])).toBe('abc');
    expect(redactSecrets('abc', [''], 0)).toBe('abc');
  });

  it('applies secrets in the order given (a longer form first keeps it whole)', () => {
    expect(redactSecrets('x=tok%2Babc', new Set(['tok%2Babc', 'tok+abc']))).toBe(`x=${REDACTED}`);
  });
});

describe('redactBearerTokens', () => {
  it('hides any bearer token, keeping the scheme word as written', () => {
    expect(redactBearerTokens('Authorization: Bearer abc.DEF-123_~+/= rest')).toBe(`Authorization: Bearer ${REDACTED} rest`);
    expect(redactBearerTokens('bearer   xyz')).toBe(`bearer   ${REDACTED}`);
    expect(redactBearerTokens('no token here')).toBe('no token here');
  });
});

describe('formatMs and formatAge', () => {
  it('formatMs: ms under a second, whole seconds under 120 s, then minutes', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(999)).toBe('999 ms');
    expect(formatMs(1_000)).toBe('1 s');
    expect(formatMs(1_499)).toBe('1 s');
    expect(formatMs(119_499)).toBe('119 s');
    expect(formatMs(119_500)).toBe('2 min');
    expect(formatMs(600_000)).toBe('10 min');
  });

  it('formatAge: days and hours, rounded down', () => {
    expect(formatAge(3_599)).toBe('0 h');
    expect(formatAge(5 * 3_600 + 59)).toBe('5 h');
    expect(formatAge(8 * 86_400 + 3 * 3_600 + 10)).toBe('8 d 3 h');
  });
});

describe('collapseWhitespace, truncate and sentence', () => {
  it('collapses every whitespace run and trims', () => {
    expect(collapseWhitespace('  a\n\tb   c \r\n')).toBe('a b c');
  });

  it('truncate keeps the result within max by default', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6)).toBe('abcde…');
    expect(truncate('abcdefg', 6)).toHaveLength(6);
  });

  it('truncate with keep = max keeps max characters and adds the ellipsis (GA4, TikTok)', () => {
    expect(truncate('abcdef', 6, 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6, 6)).toBe('abcdef…');
  });

  it('sentence: cut to 400, full stop after a letter, digit or closing bracket only', () => {
    expect(sentence('Invalid input')).toBe('Invalid input.');
    expect(sentence('code 42')).toBe('code 42.');
    expect(sentence('see (docs)')).toBe('see (docs).');
    expect(sentence('a [b]')).toBe('a [b].');
    expect(sentence('Done.')).toBe('Done.');
    expect(sentence('What?')).toBe('What?');
    expect(sentence('')).toBe('');
    expect(sentence('Größe')).toBe('Größe.');
    const long = sentence('x'.repeat(401));
    expect(long).toBe(`${'x'.repeat(399)}…`);
    expect(sentence('x'.repeat(400))).toBe(`${'x'.repeat(400)}.`);
  });
});

describe('bodySnippet', () => {
  const token = 'secret-token-123';
  const redact = (t: string) => redactSecrets(t, [token], 8);

  it('puts the body on one line and names an empty one', () => {
    expect(bodySnippet('  <html>\n  <b>Bad Gateway</b>\n</html> ', redact, { empty: 'empty body' })).toBe('<html> <b>Bad Gateway</b> </html>');
    expect(bodySnippet(' \n ', redact, { empty: 'empty body' })).toBe('empty body');
    expect(bodySnippet('', redact, { empty: '' })).toBe('');
  });

  it(`cuts to ${SNIPPET_MAX} characters`, () => {
    const out = bodySnippet('y'.repeat(500), redact, { empty: 'empty body' });
    expect(out).toBe(`${'y'.repeat(SNIPPET_MAX - 1)}…`);
  });

  it('a token cut in two by the 200-character limit is still hidden', () => {
    const body = `${'y'.repeat(190)}${token}${'z'.repeat(50)}`;
    const out = bodySnippet(body, redact, { empty: 'empty body' });
    // The cut falls inside the marker, never inside the token.
    expect(out).toBe(`${'y'.repeat(190)}[redacted…`);
    expect(out).not.toContain(token.slice(0, 6));
  });

  it('redacts whole tokens', () => {
    expect(bodySnippet(`{"error":"bad token ${token}"}`, redact, { empty: '' })).toBe(`{"error":"bad token ${REDACTED}"}`);
  });
});
