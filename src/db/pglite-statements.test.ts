import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { pglitePrepared, sqlLiteral } from './pglite-statements.js';

describe('statements prepared on PGlite', () => {
  const client = new PGlite();
  const run = pglitePrepared(client);
  afterAll(() => client.close());

  it('hand back every text as it was given, whatever dollar signs and quotes it holds', async () => {
    const texts = ["plain", "it's", '$v$', 'x$v', '$v', 'a$v$b$v0$c', '$v0$$v1$', '\\', '\\x00', "'); drop table t; --", '😀 ü', ''];
    for (const text of texts) {
      const rows = await run<{ t: string }>({ name: 'echo_text', text: 'SELECT $1::text AS t', values: [text] });
      expect(rows).toEqual([{ t: text }]);
    }
  });

  it('pass numbers, booleans and null as typed values, and prepare each name once', async () => {
    const rows = await run<{ n: number; f: number; b: boolean; z: string | null }>({
      name: 'echo_values',
      text: 'SELECT $1::int + 1 AS n, $2::float8 AS f, $3::boolean AS b, $4::text AS z',
      values: [41, 2.5, true, null],
    });
    expect(rows).toEqual([{ n: 42, f: 2.5, b: true, z: null }]);
    const statements = await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'echo_%' ORDER BY name");
    expect(statements.rows.map((r) => r.name)).toEqual(['echo_text', 'echo_values']);
  });

  it('refuse what is not a value or a name', async () => {
    expect(() => sqlLiteral(Number.NaN)).toThrow(TypeError);
    expect(() => sqlLiteral({})).toThrow(TypeError);
    await expect(run({ name: 'x; drop table t', text: 'SELECT 1', values: [] })).rejects.toThrow(/not a statement name/);
  });

  it('quotes text made to collide with every counted tag in one pass, not one pass per tag', () => {
    // $v$, $v0$, $v1$, ... as a sequential tag search would try them: 100,000 passes over 1 MB.
    const hostile = `$v$${Array.from({ length: 100_000 }, (_, i) => `$v${i}$`).join('')}`;
    const started = performance.now();
    const literal = sqlLiteral(hostile);
    expect(performance.now() - started).toBeLessThan(1_000);
    const tag = literal.slice(0, literal.indexOf('$', 1) + 1);
    expect(literal).toBe(`${tag}${hostile}${tag}`);
    expect(hostile.includes(tag)).toBe(false);
  });
});
