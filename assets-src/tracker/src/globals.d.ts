/** Build-time constants replaced by esbuild `define` (build.mjs) and by vitest (vitest.config.ts). */
declare const __LAYERSYNC_VERSION__: string;
/** True only in the unminified debug build: extra console output that the production bundle drops. */
declare const __LAYERSYNC_DEBUG__: boolean;
