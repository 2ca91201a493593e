import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.tsx'],
    restoreMocks: true,
    server: { deps: { inline: [/@wordpress\//] } },
  },
});
