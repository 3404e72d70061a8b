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

/** `rows` were fetched with limit + 1, in the cursor's direction; returns the page newest first. */
export function toPage<R, T>(rows: R[], cursor: Cursor, present: (row: R) => T): ListPage<T> {
  const hasMore = rows.length > cursor.limit;
  const kept = rows.slice(0, cursor.limit);
  if (cursor.direction === 'before') kept.reverse();
  return { object: 'list', has_more: hasMore, data: kept.map(present) };
}
