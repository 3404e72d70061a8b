import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { Database } from '../src/db/client.js';

// Observes the SQL a Database sends, at the driver: every statement reaching PGlite (query, exec,
// and those inside its transactions) or PostgreSQL (every node-postgres client's query, pooled or
// not). Nothing is changed or faked: each call goes on to the real driver.

export type StatementLog = {
  /** Every statement's text, in the order sent. */
  readonly statements: string[];
  /** Statements that may write: INSERT, UPDATE, DELETE (also inside WITH), COPY and EXECUTE of a prepared one. */
  writes(): string[];
  restore(): void;
};

const MAY_WRITE = /^\s*(?:insert|update|delete|execute|copy|with\b[\s\S]*\b(?:insert|update|delete)\b)/i;

function textOf(query: unknown): string {
  if (typeof query === 'string') return query;
  if (query && typeof query === 'object' && 'text' in query) return String((query as { text: unknown }).text);
  return String(query);
}

export function observeStatements(database: Database): StatementLog {
  const statements: string[] = [];
  const restore = database.pglite ? observePglite(database.pglite, statements) : observePg(statements);
  return { statements, writes: () => statements.filter((text) => MAY_WRITE.test(text)), restore };
}

function observePglite(client: PGlite, statements: string[]): () => void {
  const { query, exec, transaction } = client;
  const observed = <T extends PGlite | Transaction>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (property !== 'query' && property !== 'exec') return typeof value === 'function' ? value.bind(object) : value;
        return (text: string, ...rest: unknown[]) => {
          statements.push(text);
          return (value as (...args: unknown[]) => unknown).call(object, text, ...rest);
        };
      },
    });
  const proxy = observed(client);
  client.query = proxy.query;
  client.exec = proxy.exec;
  client.transaction = ((callback: (tx: Transaction) => Promise<unknown>) =>
    transaction.call(client, (tx) => callback(observed(tx)))) as PGlite['transaction'];
  return () => {
    client.query = query;
    client.exec = exec;
    client.transaction = transaction;
  };
}

/** node-postgres: Pool#query and a checked-out client both end in Client#query. */
function observePg(statements: string[]): () => void {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    statements.push(textOf(args[0]));
    return query.apply(this, args);
  };
  return () => {
    prototype.query = query;
  };
}
