import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.js';

describe('the batcher', () => {
  it('writes a lone item at once, and the items handed in meanwhile together in the next write', async () => {
    const writes: number[][] = [];
    const batcher = createBatcher(
      async (items: readonly number[]) => {
        writes.push([...items]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return items.map((i) => i * 10);
      },
      { maxItems: 3 },
    );
    const first = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rest = [2, 3, 4, 5].map((i) => batcher.add(i));
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(writes).toEqual([[1], [2, 3, 4], [5]]);
    await batcher.drain();
  });

  it('gathering, writes once enough items wait, or once the first has waited long enough', async () => {
    const writes: number[][] = [];
    const batcher = createBatcher(
      async (items: readonly number[]) => {
        writes.push([...items]);
        return items.map((i) => -i);
      },
      { maxItems: 10, gather: { items: 3, ms: 40 } },
    );
    const first = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes).toEqual([]);
    // The third item makes the write at once.
    expect(await Promise.all([first, batcher.add(2), batcher.add(3)])).toEqual([-1, -2, -3]);
    expect(writes).toEqual([[1, 2, 3]]);
    // A lone item waits its 40 ms, then goes alone.
    const started = Date.now();
    expect(await batcher.add(4)).toBe(-4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('drain writes what is gathering at once', async () => {
    const writes: number[][] = [];
    const batcher = createBatcher(
      async (items: readonly number[]) => {
        writes.push([...items]);
        return [...items];
      },
      { maxItems: 10, gather: { items: 10, ms: 60_000 } },
    );
    const item = batcher.add(7);
    await batcher.drain();
    expect(writes).toEqual([[7]]);
    expect(await item).toBe(7);
  });

  it('writes each item of a failed write alone, so only the one at fault fails', async () => {
    const batcher = createBatcher(
      async (items: readonly string[]) => {
        if (items.includes('bad')) throw new Error('constraint');
        return items.map((i) => i.toUpperCase());
      },
      { maxItems: 10 },
    );
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((i) => batcher.add(i)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual(['A', 'rejected', 'C']);
  });
});
