import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/uuid';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  // First: later tests push the generator's clock into the future.
  it('sorts in creation order across real time', async () => {
    const ids: string[] = [];
    const before = Date.now();
    for (let i = 0; i < 50; i++) {
      ids.push(uuidv7());
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect([...ids].sort()).toEqual(ids);
    const firstMs = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    expect(firstMs).toBeGreaterThanOrEqual(before);
    expect(firstMs).toBeLessThanOrEqual(Date.now());
  });

  it('has the RFC 9562 layout: version 7 and variant 10', () => {
    for (let i = 0; i < 200; i++) {
      const id = uuidv7();
      expect(id).toMatch(FORMAT);
      const bytes = id.replace(/-/g, '');
      expect(parseInt(bytes[12]!, 16)).toBe(7);
      expect(parseInt(bytes[16]!, 16) >> 2).toBe(0b10);
    }
  });

  it('starts with the 48-bit Unix millisecond timestamp', () => {
    const now = Date.now() + 10_000_000; // later than anything generated so far
    const id = uuidv7(now);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    expect(id.slice(0, 13)).toBe(`${now.toString(16).padStart(12, '0').slice(0, 8)}-${now.toString(16).padStart(12, '0').slice(8)}`);
  });

  it('is strictly increasing within one millisecond and when the clock steps back', () => {
    const t = Date.now() + 20_000_000;
    const ids = [...Array.from({ length: 5000 }, () => uuidv7(t)), uuidv7(t - 5000), uuidv7(t - 1)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // 5000 ids in one millisecond overflow the 12-bit counter: the timestamp moves on, order holds.
    expect(parseInt(ids.at(-1)!.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThan(t);
  });
});
