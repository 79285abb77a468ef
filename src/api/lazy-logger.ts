import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

/**
 * Fastify gives every request a child logger carrying its id. Making one costs more than serving a
 * cached product page, and almost no request ever logs: this factory makes the child only when a
 * request first logs (or asks for its level), with the same bindings and options as Fastify's own.
 */
export const lazyChildLogger: ChildLoggerFactory = (logger, bindings, options) => {
  let child: FastifyBaseLogger | undefined;
  const real = () => (child ??= logger.child(bindings, options));
  return {
    get level() {
      return real().level;
    },
    set level(level: string) {
      real().level = level;
    },
    fatal: (...args: Parameters<FastifyBaseLogger['fatal']>) => real().fatal(...args),
    error: (...args: Parameters<FastifyBaseLogger['error']>) => real().error(...args),
    warn: (...args: Parameters<FastifyBaseLogger['warn']>) => real().warn(...args),
    info: (...args: Parameters<FastifyBaseLogger['info']>) => real().info(...args),
    debug: (...args: Parameters<FastifyBaseLogger['debug']>) => real().debug(...args),
    trace: (...args: Parameters<FastifyBaseLogger['trace']>) => real().trace(...args),
    silent: (...args: Parameters<FastifyBaseLogger['silent']>) => real().silent(...args),
    child: (...args: Parameters<FastifyBaseLogger['child']>) => real().child(...args),
  };
};
