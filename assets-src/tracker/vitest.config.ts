import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: {
    __LAYERSYNC_VERSION__: JSON.stringify('test'),
    __LAYERSYNC_DEBUG__: 'false',
  },
  test: {
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'https://shop.example/product/blue-mug?ref=ad' } },
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
