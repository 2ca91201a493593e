/** URL helpers for platform origins. */

/** The origin without one trailing slash, so paths can be appended: "https://x/" → "https://x". */
export function trimTrailingSlash(origin: string): string {
  return origin.endsWith('/') ? origin.slice(0, -1) : origin;
}
