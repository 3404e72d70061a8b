import type { Db } from '../../db/client.js';
import { auditEvents, type AUDIT_ACTOR_TYPES } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../api-keys/principal.js';
import { API_KEY_EVENT_NAMES } from '../events/catalogue.js';
import { recordEvent } from '../events/record.js';

const API_KEY_EVENTS: ReadonlySet<string> = new Set(API_KEY_EVENT_NAMES);
const isApiKeyEvent = (action: string): action is (typeof API_KEY_EVENT_NAMES)[number] => API_KEY_EVENTS.has(action);

// The audit log's one way in. Every mutation appends its event inside its own transaction, so a
// change and its record commit together or not at all. Nothing updates or deletes events but
// retention (retention.ts); the database refuses UPDATE outright (migration 0007).

export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** Who acted, as the log names them. */
export type AuditIdentity = Readonly<{ type: AuditActorType; id: string | null; name: string | null }>;

/** Where a request came from: filled in by the HTTP edge, absent for the CLI and the system. */
export type RequestContext = Readonly<{ ip: string | null; userAgent: string | null; requestId: string | null }>;

export type AuditTarget = Readonly<{ type: string; id: string; name?: string | null }>;
export type AuditChanges = Record<string, { before: unknown; after: unknown }>;

export type AuditEntry = Readonly<{
  action: string;
  targets: readonly AuditTarget[];
  changes?: AuditChanges | undefined;
  /** The project the change belongs to; null for organization-wide changes (members, projects). */
  projectId?: string | null;
}>;

/** Anything that can insert: the database or a transaction. */
export type AuditWriter = Pick<Db, 'insert'>;

export const CLI_IDENTITY: AuditIdentity = Object.freeze({ type: 'cli', id: null, name: 'postgate CLI' });
export const SYSTEM_IDENTITY: AuditIdentity = Object.freeze({ type: 'system', id: null, name: 'Postgate' });

/** The identity an actor is logged under: the key (id and name), or the operator's user/CLI. */
export function identityOf(actor: Actor): AuditIdentity {
  return actor.kind === 'api_key' ? { type: 'api_key', id: actor.keyId, name: actor.keyName } : actor.identity;
}

export async function recordAudit(writer: AuditWriter, clock: Clock, actor: Actor, entry: AuditEntry): Promise<void> {
  const now = clock.now();
  const identity = identityOf(actor);
  const projectId = entry.projectId === undefined ? actor.projectId : entry.projectId;
  const changes = entry.changes && Object.keys(entry.changes).length > 0 ? redactChanges(entry.changes) : null;
  // An API key's life is also a webhook event (beyond Resend, for security teams), from the same
  // record, in the same transaction.
  const key = entry.targets[0];
  if (isApiKeyEvent(entry.action) && projectId !== null && key) {
    await recordEvent(writer, {
      organizationId: actor.organizationId,
      projectId,
      type: entry.action,
      data: { id: key.id, name: key.name ?? null, actor: identity, ip: actor.request?.ip ?? null, changes },
      at: now,
    });
  }
  await writer.insert(auditEvents).values({
    id: newId('auditEvent', now.getTime()),
    organizationId: actor.organizationId,
    projectId,
    occurredAt: now,
    actorType: identity.type,
    actorId: identity.id,
    actorName: identity.name,
    action: entry.action,
    targets: entry.targets.map((t) => ({ type: t.type, id: t.id, name: t.name ?? null })),
    ip: actor.request?.ip ?? null,
    userAgent: actor.request?.userAgent ?? null,
    requestId: actor.request?.requestId ?? null,
    changes,
  });
}

/** Field names whose values never enter the log, whatever the caller passed. */
const SECRET_FIELD = /token|secret|password|private_key|hash|credential|recovery/i;
/** Public by construction: the last five characters of a key, shown everywhere. */
const PUBLIC_FIELDS = new Set(['redacted_token']);

function redactChanges(changes: AuditChanges): AuditChanges {
  const out: AuditChanges = {};
  for (const [field, change] of Object.entries(changes)) {
    const secret = SECRET_FIELD.test(field) && !PUBLIC_FIELDS.has(field);
    out[field] = secret ? { before: change.before == null ? null : '[redacted]', after: change.after == null ? null : '[redacted]' } : change;
  }
  return out;
}

/**
 * The fields that differ between two presentations of an object (its public shape, so no
 * secret is there to begin with). `before` undefined: a creation, every field is new.
 */
export function diffChanges(before: Readonly<Record<string, unknown>> | undefined, after: Readonly<Record<string, unknown>> | undefined, ignore: readonly string[] = ['object']): AuditChanges {
  const changes: AuditChanges = {};
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const field of fields) {
    if (ignore.includes(field)) continue;
    const was = before?.[field] ?? null;
    const is = after?.[field] ?? null;
    if (JSON.stringify(was) !== JSON.stringify(is)) changes[field] = { before: was, after: is };
  }
  return changes;
}
