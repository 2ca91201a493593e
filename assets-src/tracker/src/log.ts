/** Console output for site developers: bad input is always reported, never thrown. */
export function warn(...args: unknown[]): void {
  console.warn('[LayerSync]', ...args);
}

/**
 * Verbose output for the debug build. Call sites guard it with `if (__LAYERSYNC_DEBUG__)` so the
 * production bundle drops the calls and their arguments, not just the body.
 */
export function debug(...args: unknown[]): void {
  console.debug('[LayerSync]', ...args);
}
