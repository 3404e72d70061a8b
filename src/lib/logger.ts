import pino, { type DestinationStream, type Logger } from 'pino';

// The one way Postgate makes its logger. Security: nothing a client sent may reach a log line
// through an error. Tokens travel in Authorization (redacted); a failed statement's error carries
// its parameters (recipients, bodies, a new key's token hash), so errors are logged without them.

/** Properties of database errors that hold values: drizzle's `params`, PostgreSQL's `detail` ("Key (email)=(...)") and `where`. */
const VALUE_FIELDS = new Set(['params', 'parameters', 'detail', 'where', 'raw']);

type SerializedError = Record<string, unknown> & { message?: string; stack?: string };

/** pino's error serializer, less every value a failed statement carried. */
export function errorWithoutValues(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown;
  if (serialized === err || typeof serialized !== 'object' || serialized === null) return serialized;
  const source = err as { params?: unknown; query?: unknown; message?: string; name?: string; stack?: string; cause?: { message?: unknown } };
  const result: SerializedError = {};
  for (const [key, value] of Object.entries(serialized)) if (!VALUE_FIELDS.has(key)) result[key] = value;
  if (typeof source.query === 'string') result.query = statementOnly(source.query);
  if (source.params !== undefined) {
    // drizzle's message is "Failed query: <sql>\nparams: <values>": keep the statement only.
    const cause = typeof source.cause?.message === 'string' ? `: ${source.cause.message}` : '';
    result.message = `Failed query: ${statementOnly(String(source.query))}${cause}`;
    const header = `${source.name}: ${source.message}`;
    result.stack = source.stack?.startsWith(header) ? `${source.name}: ${result.message}${source.stack.slice(header.length)}` : undefined;
  }
  return result;
}

/**
 * A statement without values: on PGlite a prepared statement is run as `EXECUTE name(<literals>)`
 * (db/pglite-statements.ts), whose text holds the very values a failed statement must not log.
 */
function statementOnly(query: string): string {
  const execute = /^\s*EXECUTE\s+(\w+)/i.exec(query);
  return execute ? `EXECUTE ${execute[1]} (values withheld)` : query;
}

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  const settings = {
    level: options.level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token'], censor: '[redacted]' },
    serializers: { err: errorWithoutValues },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
