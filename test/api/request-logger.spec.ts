import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { RequestLogger } from '../../src/api/request-logger.ts';

/** A Fastify app logging into `lines` through RequestLogger, as the API's server does. */
function appLoggingTo(lines: Record<string, unknown>[], level = 'info') {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify({
    loggerInstance: pino({ level }, destination),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => 'req-1',
    childLoggerFactory: (parent, bindings, options) => new RequestLogger(parent, bindings, options),
  });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/loud', async (request) => {
    request.log.warn({ sku: 'A-1' }, 'something to say');
    request.log.debug('below the level');
    return { ok: true };
  });
  app.get('/fails', async () => {
    throw new Error('boom');
  });
  // As the API's error handler (problem.ts) does for a 500.
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ title: 'Internal error' });
  });
  // The logger Fastify hands to the factory: children of requests are made from it.
  const child = vi.spyOn(app.log, 'child');
  return { app, child };
}

describe('the request logger', () => {
  it('makes no child logger for a request that logs nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const { app, child } = appLoggingTo(lines);
    expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('logs with the request id, at the logger level, once the request logs', async () => {
    const lines: Record<string, unknown>[] = [];
    const { app, child } = appLoggingTo(lines);
    expect((await app.inject({ url: '/loud' })).statusCode).toBe(200);
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, reqId: 'req-1', sku: 'A-1', msg: 'something to say' }),
    ]);
  });

  it('logs a failed request with its request id', async () => {
    const lines: Record<string, unknown>[] = [];
    const { app } = appLoggingTo(lines);
    expect((await app.inject({ url: '/fails' })).statusCode).toBe(500);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        reqId: 'req-1',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    );
  });

  it('reads and sets the level of the child', async () => {
    const lines: Record<string, unknown>[] = [];
    const { app } = appLoggingTo(lines, 'warn');
    await app.ready();
    const log = new RequestLogger(app.log, { reqId: 'req-2' }, {});
    expect(log.level).toBe('warn');
    log.level = 'debug';
    log.debug('now shown');
    expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'req-2', msg: 'now shown' })]);
    expect(log.child({ step: 'inner' }).level).toBe('debug');
  });
});
