/**
 * Small, pure text helpers for the messages destinations store in the ledger and show merchants:
 * durations, whitespace, truncation and response-body snippets. Nothing here knows a platform;
 * where destinations differ (how far to cut, whether to redact before cutting) the caller says so.
 */

/** 850 → "850 ms", 7000 → "7 s", 300000 → "5 min" (seconds rounded; minutes from 120 s on). */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** An event's age for a refusal message: "8 d 3 h", or "5 h" under a day (whole units, rounded down). */
export function formatAge(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  return days > 0 ? `${days} d ${hours} h` : `${hours} h`;
}

/** Every run of whitespace (newlines included) becomes one space; the ends are trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Text longer than `max` characters is cut to its first `keep` characters followed by "…".
 * The default `keep = max - 1` keeps the result within `max` characters, ellipsis included;
 * GA4 and TikTok keep `max` characters and add the ellipsis after them (`keep = max`).
 */
export function truncate(text: string, max: number, keep: number = max - 1): string {
  return text.length > max ? `${text.slice(0, keep)}…` : text;
}

/**
 * A platform's words as the end of a sentence: cut to 400 characters, and a full stop added when
 * they end in a letter, a digit or a closing bracket (not after "…", "." or other punctuation).
 */
export function sentence(text: string, max = 400): string {
  const t = truncate(text, max);
  return /[\p{L}\p{N})\]]$/u.test(t) ? `${t}.` : t;
}

/** The longest snippet of a response body that goes into a message. */
export const SNIPPET_MAX = 200;

export interface SnippetOptions {
  /** What an empty (or all-whitespace) body reads as. */
  empty: string;
}

/**
 * A response body on one line, at most SNIPPET_MAX characters, with secrets removed by `redact`.
 * The whole body is redacted before it is cut: cutting first could split a token so that the
 * redaction pattern no longer matches and its first characters end up in a stored message.
 */
export function bodySnippet(body: string, redact: (text: string) => string, opts: SnippetOptions): string {
  const clean = redact(collapseWhitespace(body));
  return clean === '' ? opts.empty : truncate(clean, SNIPPET_MAX);
}
