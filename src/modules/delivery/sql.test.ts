import { describe, expect, it } from 'vitest';
import { PgDialect } from 'drizzle-orm/pg-core';
import { placeholdersToSql } from './sql.js';

describe('placeholdersToSql', () => {
  it('turns $n placeholders into parameters, repeating values for repeated placeholders', () => {
    const query = new PgDialect().sqlToQuery(placeholdersToSql('select $1::int + $2, $1 as again, $$literal$$', [1, 'x']));
    expect(query.sql).toBe('select $1::int + $2, $3 as again, $$literal$$');
    expect(query.params).toEqual([1, 'x', 1]);
  });

  it('refuses a placeholder without a value', () => {
    expect(() => placeholdersToSql('select $2', [1])).toThrow(/\$2/);
  });
});
