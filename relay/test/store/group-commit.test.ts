import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/store/group-commit.js';

describe('GroupCommitter', () => {
  it('flushes everything submitted in one tick as one batch, on setImmediate', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommitter<number, string>((items) => {
      flushes.push(items);
      return items.map((i) => `ok ${i}`);
    }, { maxBatch: 100 });
    const results = Promise.all([gc.submit(1), gc.submit(2), gc.submit(3)]);
    expect(flushes).toEqual([]); // nothing is committed synchronously
    expect(await results).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it('flushes at once when the batch fills, by weight', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      flushes.push(items);
      return items;
    }, { maxBatch: 10, weight: (n) => n });
    const a = gc.submit(4);
    const b = gc.submit(6); // reaches 10: flushed synchronously
    expect(flushes).toEqual([[4, 6]]);
    const c = gc.submit(1);
    expect(await Promise.all([a, b, c])).toEqual([4, 6, 1]);
    expect(flushes).toEqual([[4, 6], [1]]);
  });

  it('rejects every item of a batch whose commit failed, and keeps working', async () => {
    let fail = true;
    const gc = new GroupCommitter<string, string>((items) => {
      if (fail) throw new Error('disk I/O error');
      return items;
    }, { maxBatch: 100 });
    const a = gc.submit('a');
    const b = gc.submit('b');
    await expect(a).rejects.toThrow('disk I/O error');
    await expect(b).rejects.toThrow('disk I/O error');
    fail = false;
    await expect(gc.submit('c')).resolves.toBe('c');
  });

  it('close commits what is queued and refuses new work', async () => {
    const gc = new GroupCommitter<number, number>((items) => items, { maxBatch: 100 });
    const a = gc.submit(1);
    gc.close();
    await expect(a).resolves.toBe(1);
    await expect(gc.submit(2)).rejects.toThrow(/closed/);
  });
});
