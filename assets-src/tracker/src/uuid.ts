/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version 7, 12-bit counter, variant 10,
 * 62 random bits. Ids are time-ordered because random keys cost the relay's store ~3× ingest
 * throughput. Within one millisecond (or when the clock steps back) the 12-bit rand_a field is
 * a counter (RFC 9562 §6.2, method 1) seeded randomly below 0x800 so it rarely overflows; on
 * overflow the timestamp is advanced by one, which keeps every id strictly increasing.
 */
let lastMs = -1;
let counter = 0;

export function uuidv7(now: number = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  if (now > lastMs) {
    lastMs = now;
    counter = ((b[6]! & 0x07) << 8) | b[7]!;
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  for (let i = 0; i < 6; i++) b[i] = (lastMs / 2 ** (8 * (5 - i))) & 0xff;
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  return Array.from(b, (x) => (x + 0x100).toString(16).slice(1))
    .join('')
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}
