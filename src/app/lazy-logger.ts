import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type LogLevel } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogCall = (...args: unknown[]) => void;

/**
 * Fastify gives every request a child logger carrying its request id. pino builds a child
 * eagerly (its bindings serialised to JSON), yet with request logging off (the default outside
 * debug) almost no request ever logs. A lazy logger stands in for the child and builds it on the
 * first line actually written: the same lines, with the same bindings, for a fraction of the cost.
 *
 * The application hands Fastify a lazy logger (`lazyLogger`) whose children are lazy too (at
 * debug), or gives each request a lazy child itself (`RequestLoggers`, below).
 */
class LazyLogger implements FastifyBaseLogger {
  private built: FastifyBaseLogger | undefined;

  /** `bindings` undefined: this logger is `parent` itself, made lazy. */
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings | undefined,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    if (this.built === undefined) {
      const parent = this.parent instanceof LazyLogger ? this.parent.real : this.parent;
      this.built = this.bindings === undefined ? parent : parent.child(this.bindings, this.options);
    }
    return this.built;
  }

  get level(): LogLevel | string {
    return this.built?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LogLevel | string) {
    this.real.level = level;
  }

  // Methods on the prototype (not arrow fields): nothing is allocated per request but this object.
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(...args: unknown[]): void {
    this.write('silent', args);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent', args: unknown[]): void {
    const real = this.real;
    (real[level] as LogCall).apply(real, args);
  }

  /** A child built when it first writes (a request's logger: Fastify calls this per request). */
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new LazyLogger(this, bindings, options ?? {});
  }
}

/** `logger` as Fastify's logger instance: the same lines, its children built only when they write. */
export function lazyLogger(logger: FastifyBaseLogger): FastifyBaseLogger {
  return new LazyLogger(logger, undefined, {});
}

type LoggingOptions = Pick<FastifyServerOptions, 'logger' | 'loggerInstance' | 'logController'>;

/**
 * Fastify's log lines with request logging off (outside debug), where Fastify is given no logger.
 * Fastify then hands each request its null logger; this controller replaces it with a lazy child
 * carrying the request id as soon as the request exists (`incomingRequest` is called for every
 * request Fastify builds: routed, not found, or refused before routing), so what a route or
 * Fastify writes about a request is written as with a logger. It costs less than a custom
 * `childLoggerFactory`, whose returned logger Fastify checks method by method on every request.
 */
/** The options of every request's child: none (the level and serializers are the parent's). */
const NO_OPTIONS: ChildLoggerOptions = Object.freeze({});

class RequestLoggers extends LogController {
  constructor(private readonly root: FastifyBaseLogger) {
    super({ disableRequestLogging: true });
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // `reqId`: LogController's default requestIdLogLabel, which this one keeps.
    const log = this.root.child({ reqId: request.id }, NO_OPTIONS);
    request.log = log;
    reply.log = log;
  }

  /** Refused while closing, before any request exists: written by the application's logger. */
  override serviceUnavailable(_none: FastifyBaseLogger, server: FastifyInstance): void {
    super.serviceUnavailable(this.root, server);
  }
}

/**
 * Fastify's logging options for the application's logger at `level`. Every request gets a lazy
 * child carrying its reqId, so what a route or Fastify logs about a request is written at any
 * level. Only with request logging (debug, trace) is Fastify given the logger itself: it then
 * also times every reply, with two listeners per response, for its "request completed" line.
 * Without, it has none: only what Fastify logs for the server as a whole goes unwritten (its
 * start-up line; main prints where everything listens).
 */
export function fastifyLogging(logger: FastifyBaseLogger, level: string): LoggingOptions {
  const lazy = lazyLogger(logger);
  if (level === 'debug' || level === 'trace') {
    return { loggerInstance: lazy, logController: new LogController({ disableRequestLogging: false }) };
  }
  return { logger: false, logController: new RequestLoggers(lazy) };
}
