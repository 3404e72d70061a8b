import { describe, expect, it } from 'vitest';
import { createKeyedGate } from './keyed-gate.js';

describe('keyed gate', () => {
  it('admits at most perKey for one key and total in all, in order of arrival', async () => {
    const gate = createKeyedGate({ perKey: 2, total: 3 });
    const admitted: string[] = [];
    const enter = (key: string, label: string) =>
      gate.enter(key).then((leave) => {
        admitted.push(label);
        return leave;
      });
    const a1 = await enter('a', 'a1');
    const a2 = await enter('a', 'a2');
    const a3 = enter('a', 'a3'); // a is full
    const b1 = await enter('b', 'b1'); // b fits: a3 waiting does not hold it up
    const b2 = enter('b', 'b2'); // total is full
    await Promise.resolve();
    expect(admitted).toEqual(['a1', 'a2', 'b1']);
    expect([gate.inside(), gate.inside('a'), gate.inside('b')]).toEqual([3, 2, 1]);

    a1(); // a3 came first and now fits
    await a3;
    expect(admitted).toEqual(['a1', 'a2', 'b1', 'a3']);
    a2();
    await b2;
    expect(admitted).toEqual(['a1', 'a2', 'b1', 'a3', 'b2']);
    expect([gate.inside(), gate.inside('a'), gate.inside('b')]).toEqual([3, 1, 2]);
  });

  it('admitAll lets every waiter in, past the bounds', async () => {
    const gate = createKeyedGate({ perKey: 1, total: 1 });
    await gate.enter('a');
    const waiting = [gate.enter('a'), gate.enter('b')];
    gate.admitAll();
    await Promise.all(waiting);
    expect(gate.inside()).toBe(3);
  });

  it('frees a slot once however often it is left', async () => {
    const gate = createKeyedGate({ perKey: 1, total: 1 });
    const leave = await gate.enter('a');
    leave();
    leave();
    expect(gate.inside()).toBe(0);
    await gate.enter('a');
    expect(gate.inside('a')).toBe(1);
  });
});
