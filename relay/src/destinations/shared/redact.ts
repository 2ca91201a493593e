/**
 * Removing credentials from text a destination stores or shows: a platform, a proxy or undici may
 * echo a token back in an error body or message. Each destination composes these primitives with
 * its own rules (which secrets, how short a secret is still worth censoring, which token-shaped
 * patterns its platform uses), so those rules stay visible where the platform is described.
 */

/** What every censored value is replaced with. */
export const REDACTED = '[redacted]';

/** A destination's censoring rule: text in, the same text without credentials out. */
export type Redactor = (text: string) => string;

/**
 * Replaces every occurrence of each secret with "[redacted]", secrets in the order given. Secrets
 * shorter than `minLength` are left alone (a short value would censor ordinary words); the empty
 * string never counts as a secret.
 */
export function redactSecrets(text: string, secrets: Iterable<string>, minLength = 1): string {
  let out = text;
  for (const s of secrets) if (s !== '' && s.length >= minLength) out = out.split(s).join(REDACTED);
  return out;
}

/** `Bearer <token>` → `Bearer [redacted]`, whatever the token (an older one, another connection's). */
export function redactBearerTokens(text: string): string {
  return text.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`);
}
