import { and, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { requestLogs, type RequestLogRow } from '../../db/schema-logs.js';
import { notFound } from '../../lib/errors.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import type { LogObject, LogSummary } from './schemas.js';

// The read side of the request log. A key reads its own project's requests within its
// organization; another organization's (or project's) log id is "not found". Rows appear once the
// recorder has flushed them (within its interval): a read never forces a write, or reading the
// log would itself become a write per request.

export type RequestLogQueries = Readonly<{
  list(actor: Actor, cursor: Cursor): Promise<ListPage<LogSummary>>;
  get(actor: Actor, id: string): Promise<LogObject>;
}>;

/** An operator (dashboard, CLI) sees the organization's whole log; a key, its project's. */
function visibleLogs(actor: Actor): SQL {
  const organization = eq(requestLogs.organizationId, actor.organizationId);
  return actor.kind === 'api_key' ? and(organization, eq(requestLogs.projectId, actor.projectId))! : organization;
}

export function createRequestLogQueries(deps: Readonly<{ db: Db }>): RequestLogQueries {
  return {
    async list(actor, cursor) {
      const page = pageOf(requestLogs.id, visibleLogs(actor), cursor);
      const rows = await deps.db.select().from(requestLogs).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentSummary);
    },
    async get(actor, id) {
      const [row] = await deps.db
        .select()
        .from(requestLogs)
        .where(and(eq(requestLogs.id, id), visibleLogs(actor)))
        .limit(1);
      if (!row) throw notFound('Log');
      return { ...presentSummary(row), request_body: null, response_body: null };
    },
  };
}

function presentSummary(row: RequestLogRow): LogSummary {
  return {
    object: 'log',
    id: row.id,
    created_at: row.createdAt.toISOString(),
    endpoint: row.endpoint,
    method: row.method,
    response_status: row.responseStatus,
    user_agent: row.userAgent,
    api_key_id: row.keyId,
    ip: row.ip,
    duration_ms: row.durationMs,
  };
}
