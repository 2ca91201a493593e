import { beforeAll } from 'vitest';
import { installWebLocks } from './helpers';

// The first SubtleCrypto digest of a process starts its worker (several ms); do it before any
// test measures how long hashing takes to settle.
beforeAll(async () => {
  await crypto.subtle.digest('SHA-256', new Uint8Array(1));
});

// happy-dom has no Web Locks: a spec-shaped exclusive lock (tests of the localStorage lease
// fallback remove it).
installWebLocks();
