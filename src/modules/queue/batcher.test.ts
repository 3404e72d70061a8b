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

  it('with gatherMs, waits that long after the first item for others to join its write', async () => {
    const writes: number[][] = [];
    const batcher = createBatcher(
      async (items: readonly number[]) => {
        writes.push([...items]);
        return items.map((i) => -i);
      },
      { maxItems: 10, gatherMs: 40 },
    );
    const first = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes).toEqual([]);
    const second = batcher.add(2);
    expect(await Promise.all([first, second])).toEqual([-1, -2]);
    expect(writes).toEqual([[1, 2]]);
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
