import type { Db } from '../../db/client.js';
import { suppressions, type SuppressionRow } from '../../db/schema-events.js';
import { newId } from '../../lib/ids.js';
import { headerTextProblem, parseAddress } from '../emails/address.js';
import type { SuppressionOrigin } from './schemas.js';

// Writing suppressions, shared by the API's use cases (service.ts) and the delivery worker
// (bounces and complaints): insert what is not suppressed yet, in the caller's transaction. The
// `suppression.added` and `.removed` webhook events are not written here: triggers on the table
// write one per row inserted or deleted, in the same statement (migration 0011), whoever changes it.

/** Anything that can insert: the database or a transaction. */
export type SuppressionWriter = Pick<Db, 'insert'>;

/**
 * The form an address is suppressed and looked up under: trimmed, lower-cased as a whole (local
 * part too: mailboxes differing only in case are one person in practice, and a suppression must
 * not be dodged by writing `Bob@`), the domain in punycode. Undefined when it is not an address
 * Postgate would send to. Matching a recipient against the list must use this same form.
 */
export function suppressionAddress(text: string): string | undefined {
  const trimmed = text.trim();
  // parseAddress's domain conversion (WHATWG domainToASCII) silently drops tabs and line breaks
  // inside the domain: refused here, so `bob@exa\nmple.com` is not taken for bob@example.com.
  if (headerTextProblem(trimmed)) return undefined;
  return parseAddress(trimmed)?.toLowerCase();
}

export type NewSuppressions = Readonly<{
  organizationId: string;
  projectId: string;
  /** Normalised (suppressionAddress) and distinct. */
  emails: readonly string[];
  origin: SuppressionOrigin;
  sourceId: string | null;
  at: Date;
}>;

/**
 * Inserts the addresses the project has not suppressed yet, in one statement, and returns the rows
 * it inserted (each gets its `suppression.added` event from the trigger). An address suppressed
 * meanwhile by another transaction is skipped by the unique index, never duplicated.
 */
export async function insertSuppressions(writer: SuppressionWriter, input: NewSuppressions): Promise<SuppressionRow[]> {
  if (input.emails.length === 0) return [];
  const rows = input.emails.map((email) => ({
    id: newId('suppression', input.at.getTime()),
    organizationId: input.organizationId,
    projectId: input.projectId,
    email,
    origin: input.origin,
    sourceId: input.sourceId,
    createdAt: input.at,
  }));
  const inserted = await writer
    .insert(suppressions)
    .values(rows)
    .onConflictDoNothing({ target: [suppressions.projectId, suppressions.email] })
    .returning();
  return inserted;
}

export type SystemSuppression = Readonly<{
  organizationId: string;
  projectId: string;
  /** Recipients as the email named them; ones that are not addresses are skipped (nothing is sent to them). */
  emails: readonly string[];
  origin: 'bounce' | 'complaint';
  /** The email whose bounce or complaint it was. */
  sourceId: string;
  at: Date;
}>;

/**
 * For the delivery worker, inside its own transaction: suppresses the addresses a hard bounce or
 * a complaint named. Addresses already suppressed keep their row (and its origin). No audit
 * event: the audit log records what people and keys do; the suppression's origin, source_id and
 * its `suppression.added` event say why the system did this.
 */
export async function suppressAddresses(tx: SuppressionWriter, input: SystemSuppression): Promise<void> {
  const emails = new Set<string>();
  for (const text of input.emails) {
    const address = suppressionAddress(text);
    if (address) emails.add(address);
  }
  await insertSuppressions(tx, { ...input, emails: [...emails] });
}
