import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Held } from './leased-table.js';
import { runQueue } from './runner.js';

// The runner's bookkeeping of the rows in hand, whose leases it renews.

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('queue runner', () => {
  it('keeps renewing a row claimed again while its earlier attempt was still being worked', async () => {
    // The first attempt's lease lapsed (renewals failed, say) and the row was claimed again: when
    // that first attempt ends, the new one must stay in hand, or its lease lapses mid-attempt too.
    const first: Held = { id: 'row', attempts: 1 };
    const again: Held = { id: 'row', attempts: 2 };
    const claims = [[first], [again]];
    const finish = new Map<Held, () => void>();
    const renewed: Held[][] = [];
    const runner = runQueue<Held>(
      {
        claim: async () => claims.shift() ?? [],
        handle: (row) => new Promise<void>((resolve) => finish.set(row, resolve)),
        renew: async (rows) => {
          renewed.push([...rows]);
          return rows.map((r) => r.id);
        },
      },
      { name: 'test', concurrency: 4, pollIntervalMs: 5, renewEveryMs: 5, logger: pino({ level: 'silent' }), claimWhenFree: 1 },
    );
    for (let i = 0; i < 200 && finish.size < 2; i++) await sleep(5);
    expect(finish.size).toBe(2);

    finish.get(first)!();
    await sleep(10);
    renewed.length = 0;
    await sleep(40);
    expect(renewed.flat()).toContain(again);

    finish.get(again)!();
    await runner.stop();
  });
});
