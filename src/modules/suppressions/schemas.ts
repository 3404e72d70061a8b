import { z } from 'zod';
import { SUPPRESSION_ORIGINS, type SuppressionRow } from '../../db/schema-events.js';
import { pageQuery } from '../../lib/pagination.js';

// Request and response shapes of the suppression routes: the `resend` SDK's paths and bodies,
// strict like every other body (an unknown field such as `organization_id` is a 422). Addresses
// are checked by the service, which names the field (`email`, `emails[3]`) the same way.

/**
 * Addresses or ids one batch request may name. Resend allows 100; more is accepted so a list can
 * be imported in fewer calls, and the bound keeps one request's transaction short.
 */
export const MAX_SUPPRESSION_BATCH = 1000;

export type SuppressionOrigin = (typeof SUPPRESSION_ORIGINS)[number];

// Long enough for any address (254) written with spaces around it; the service says what is wrong.
const addressText = z.string().max(320);
const batchOf = <T extends z.ZodType>(item: T, what: { one: string; many: string }) =>
  z
    .array(item)
    .min(1, { error: `give at least one ${what.one}` })
    .max(MAX_SUPPRESSION_BATCH, { error: `at most ${MAX_SUPPRESSION_BATCH} ${what.many} per request` });
const ADDRESSES = { one: 'address', many: 'addresses' };

export const addSuppressionBody = z.strictObject({ email: addressText });

export const batchAddBody = z.strictObject({ emails: batchOf(addressText, ADDRESSES) });

/** Either field, never both: the service says which is missing or extra, naming it. */
export const batchRemoveBody = z.strictObject({
  emails: batchOf(addressText, ADDRESSES).optional(),
  ids: batchOf(z.string().max(64), { one: 'id', many: 'ids' }).optional(),
});

export const listSuppressionsQuery = pageQuery.extend({ origin: z.enum(SUPPRESSION_ORIGINS).optional() });

/** A suppression's id (`sup_...`) or its email address, as GET and DELETE /suppressions/{id} take. */
export const suppressionParams = z.strictObject({ id: z.string().min(1).max(320) });

/** A suppression in lists: Resend's SuppressionListEntry (no `object`). */
export const suppressionEntry = z.object({
  id: z.string(),
  email: z.string(),
  origin: z.enum(SUPPRESSION_ORIGINS),
  /** The email whose bounce or complaint added it; null when added by hand. */
  source_id: z.string().nullable(),
  created_at: z.string(),
});
export type SuppressionEntry = z.infer<typeof suppressionEntry>;

export const suppressionObject = suppressionEntry.extend({ object: z.literal('suppression') });
export type SuppressionObject = z.infer<typeof suppressionObject>;

export const suppressionList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(suppressionEntry) });

export const addedSuppression = z.object({ object: z.literal('suppression'), id: z.string() });
export type AddedSuppression = z.infer<typeof addedSuppression>;

export const removedSuppression = z.object({ object: z.literal('suppression'), id: z.string(), deleted: z.literal(true) });
export type RemovedSuppression = z.infer<typeof removedSuppression>;

export const batchAdded = z.object({ data: z.array(addedSuppression) });
export type BatchAdded = z.infer<typeof batchAdded>;

/** One line per identifier sent, in order; `deleted: false` for one that named no suppression. */
export const batchRemoved = z.object({ data: z.array(z.object({ object: z.literal('suppression'), id: z.string(), deleted: z.boolean() })) });
export type BatchRemoved = z.infer<typeof batchRemoved>;

export function presentEntry(row: SuppressionRow): SuppressionEntry {
  return { id: row.id, email: row.email, origin: row.origin, source_id: row.sourceId, created_at: row.createdAt.toISOString() };
}

export function presentSuppression(row: SuppressionRow): SuppressionObject {
  return { object: 'suppression', ...presentEntry(row) };
}
