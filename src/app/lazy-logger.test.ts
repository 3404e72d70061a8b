import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { fastifyLogging, lazyLogger } from './lazy-logger.js';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  let children = 0;
  // pino's children inherit from their parent: count calls made on any of them, each on itself.
  const child = logger.child;
  logger.child = function (this: pino.Logger, ...args: Parameters<typeof child>) {
    children += 1;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, children: () => children };
}

describe('lazyLogger', () => {
  it('builds no child for a request that never logs', () => {
    const { logger, children } = capture();
    const requestLog = lazyLogger(logger).child({ reqId: 'req-1' }, {});
    expect(requestLog.level).toBe('info');
    expect(children()).toBe(0);
  });

  it('writes the line the eager child would write, with the request bindings', async () => {
    const { logger, lines, children } = capture();
    const requestLog = lazyLogger(logger).child({ reqId: 'req-2' }, {});
    requestLog.warn({ err: 'boom' }, 'database unavailable');
    requestLog.info('second line');
    requestLog.debug('below the level: not written');
    await new Promise((resolve) => setImmediate(resolve));
    expect(children()).toBe(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, reqId: 'req-2', err: 'boom', msg: 'database unavailable' });
    expect(lines[1]).toMatchObject({ level: 30, reqId: 'req-2', msg: 'second line' });
  });

  it('keeps a child logger level given by the route', () => {
    const { logger } = capture();
    const requestLog = lazyLogger(logger).child({ reqId: 'req-3' }, { level: 'error' });
    expect(requestLog.level).toBe('error');
    requestLog.level = 'debug';
    expect(requestLog.level).toBe('debug');
  });

  it('writes through the logger itself, and builds a nested child only when it writes', async () => {
    const { logger, lines, children } = capture();
    const root = lazyLogger(logger);
    root.info('from the root');
    const server = root.child({ scope: 'server' }, {});
    const request = server.child({ reqId: 'req-4' }, {});
    expect(children()).toBe(0);
    request.error('failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(children()).toBe(2);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'from the root' });
    expect(lines[0]).not.toHaveProperty('scope');
    expect(lines[1]).toMatchObject({ level: 50, scope: 'server', reqId: 'req-4', msg: 'failed' });
  });

  it("gives Fastify's request loggers the request id, built only for requests that log", async () => {
    const { logger, lines, children } = capture();
    const app = Fastify(fastifyLogging(logger, 'info'));
    app.get('/quiet', async () => ({ ok: true }));
    app.get('/loud', async (request) => {
      request.log.warn('something to say');
      return { ok: true };
    });
    await app.ready();
    const before = children();
    expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(children()).toBe(before);
    expect((await app.inject({ url: '/loud' })).statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    // No request lines at info: the route's own line only, with its request id.
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'something to say', reqId: expect.any(String) })]);
    await app.close();
  });

  it("writes Fastify's own lines about a request at info, with its request id", async () => {
    const { logger, lines } = capture();
    const app = Fastify(fastifyLogging(logger, 'info'));
    app.get('/twice', (_request, reply) => {
      void reply.send({ first: true });
      void reply.send({ second: true });
    });
    await app.ready();
    const reply = await app.inject({ url: '/twice' });
    expect(reply.json()).toEqual({ first: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ level: 40, reqId: expect.any(String), err: expect.objectContaining({ code: 'FST_ERR_REP_ALREADY_SENT' }) })]);
    await app.close();
  });

  it('gives each request a logger of its own, with its own request id', async () => {
    const { logger, lines } = capture();
    const app = Fastify(fastifyLogging(logger, 'info'));
    app.get('/say', async (request) => {
      request.log.info('said');
      return { id: request.id };
    });
    await app.ready();
    const ids = [(await app.inject({ url: '/say' })).json().id, (await app.inject({ url: '/say' })).json().id];
    await new Promise((resolve) => setImmediate(resolve));
    expect(ids[0]).not.toBe(ids[1]);
    expect(lines.map((line) => line.reqId)).toEqual(ids);
    await app.close();
  });

  it('writes the line of a request refused while the server closes, which Fastify logs before any request exists', async () => {
    const { logger, lines } = capture();
    const options = fastifyLogging(logger, 'info');
    const app = Fastify(options);
    await app.ready();
    // Fastify passes the logger it has for the refused connection: without a logger of its own, its null logger.
    options.logController!.serviceUnavailable(app.log, app);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: expect.stringContaining('server is closing') })]);
    await app.close();
  });

  it('writes a line per request received and completed at debug, with the request id', async () => {
    const { logger, lines } = capture();
    logger.level = 'debug';
    const app = Fastify(fastifyLogging(logger, 'debug'));
    app.get('/one', async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject({ url: '/one' })).statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const reqId = lines[0]?.reqId;
    expect(reqId).toEqual(expect.any(String));
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'incoming request', reqId }),
      expect.objectContaining({ msg: 'request completed', reqId, responseTime: expect.any(Number) }),
    ]);
    await app.close();
  });
});
