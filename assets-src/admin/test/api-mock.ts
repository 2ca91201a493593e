/** A stand-in for @wordpress/api-fetch: answers by method and path from a table the test sets. */
import { vi } from 'vitest';

export type Handler = (options: { path: string; method?: string; data?: unknown }) => unknown;

export const routes = new Map<string, Handler>();
export const calls: Array<{ path: string; method: string; data?: unknown }> = [];

export const apiFetchMock = vi.fn(async (options: { path: string; method?: string; data?: unknown }) => {
  const method = options.method ?? 'GET';
  calls.push({ path: options.path, method, data: options.data });
  const key = `${method} ${options.path.split('?')[0]}`;
  const handler = routes.get(key);
  if (!handler) throw { code: 'not_mocked', message: `no mock for ${key}` };
  return handler(options);
});

export function reset(): void {
  routes.clear();
  calls.length = 0;
}
