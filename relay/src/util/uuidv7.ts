/**
 * UUIDv7: 48 bits of Unix milliseconds, then random bits. Time-ordered ids keep the store's
 * unique indexes append-mostly; random (v4) keys cost ~3x ingest throughput (ENVIRONMENT.md).
 */
import { randomBytes } from 'node:crypto';

/** Returns a new UUIDv7 string (RFC 9562), lowercase. */
export function uuidv7(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  // 48-bit big-endian timestamp. Number arithmetic is exact up to 2^53, so split it by division.
  const hi = Math.floor(nowMs / 2 ** 16);
  const lo = nowMs % 2 ** 16;
  b.writeUInt32BE(hi >>> 0, 0);
  b.writeUInt16BE(lo, 4);
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
