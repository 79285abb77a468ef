import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Log = (...args: unknown[]) => void;

/**
 * A request's logger (Fastify's `childLoggerFactory`), made the first time the request logs: at the
 * levels operators run, request logging is off and most requests log nothing, while a pino child per
 * request was 2.5% of the CPU of a cached product page (perf, API process). Once made it is the
 * child Fastify would have made, with the same bindings (the request id), so log lines are the same.
 * Its methods live on the prototype: Fastify's check that a custom child is a logger finds them
 * without making the child.
 */
export class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.logger.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.logger.fatal as Log)(...args);
  }

  error(...args: unknown[]): void {
    (this.logger.error as Log)(...args);
  }

  warn(...args: unknown[]): void {
    (this.logger.warn as Log)(...args);
  }

  info(...args: unknown[]): void {
    (this.logger.info as Log)(...args);
  }

  debug(...args: unknown[]): void {
    (this.logger.debug as Log)(...args);
  }

  trace(...args: unknown[]): void {
    (this.logger.trace as Log)(...args);
  }

  silent(...args: unknown[]): void {
    (this.logger.silent as Log)(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}
