/**
 * Turns zod issues into one plain sentence a developer can act on:
 * `identity.em: must be a SHA-256 hash: 64 lowercase hex characters …; event_time: Invalid input: expected number, received string`.
 * Issue messages never contain the rejected value, so raw PII sent by mistake is not echoed back
 * or logged.
 */
import type { z } from 'zod';

const MAX_ISSUES = 5;

export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const parts = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - MAX_ISSUES;
  return parts.join('; ') + (more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : '');
}
