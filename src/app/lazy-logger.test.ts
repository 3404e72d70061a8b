import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from './lazy-logger.js';

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
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof logger.child;
  return { logger, lines, children: () => children };
}

describe('lazyChildLogger', () => {
  it('builds no child for a request that never logs', () => {
    const { logger, children } = capture();
    const requestLog = lazyChildLogger(logger, { reqId: 'req-1' }, {});
    expect(requestLog.level).toBe('info');
    expect(children()).toBe(0);
  });

  it('writes the line the eager child would write, with the request bindings', async () => {
    const { logger, lines, children } = capture();
    const requestLog = lazyChildLogger(logger, { reqId: 'req-2' }, {});
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
    const requestLog = lazyChildLogger(logger, { reqId: 'req-3' }, { level: 'error' });
    expect(requestLog.level).toBe('error');
    requestLog.level = 'debug';
    expect(requestLog.level).toBe('debug');
  });
});
