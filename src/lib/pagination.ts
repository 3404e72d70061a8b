import { and, asc, desc, gt, lt, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { validationError } from './errors.js';

// Resend-style lists: newest first, `limit` 1..100, `after` / `before` cursors naming an id.

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(64).optional(),
  before: z.string().min(1).max(64).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

export type ListPage<T> = { object: 'list'; has_more: boolean; data: T[] };

export type Cursor = { direction: 'after' | 'before'; id: string | undefined; limit: number };

export function toCursor(query: PageQuery): Cursor {
  if (query.after && query.before) throw validationError('before', 'use after or before, not both');
  if (query.before) return { direction: 'before', id: query.before, limit: query.limit };
  return { direction: 'after', id: query.after, limit: query.limit };
}

/**
 * The WHERE / ORDER BY / LIMIT of one page over time-ordered ids, within `scope` (an
 * organization): rows are fetched in the cursor's direction, one more than the page to tell
 * whether there are more.
 */
export function pageOf(id: PgColumn, scope: SQL, cursor: Cursor): { where: SQL | undefined; orderBy: SQL; limit: number } {
  const after = cursor.direction === 'after';
  return {
    where: cursor.id === undefined ? scope : and(scope, after ? lt(id, cursor.id) : gt(id, cursor.id)),
    orderBy: after ? desc(id) : asc(id),
    limit: cursor.limit + 1,
  };
}

/** `rows` were fetched with limit + 1, in the cursor's direction; returns the page newest first. */
export function toPage<R, T>(rows: R[], cursor: Cursor, present: (row: R) => T): ListPage<T> {
  const hasMore = rows.length > cursor.limit;
  const kept = rows.slice(0, cursor.limit);
  if (cursor.direction === 'before') kept.reverse();
  return { object: 'list', has_more: hasMore, data: kept.map(present) };
}
