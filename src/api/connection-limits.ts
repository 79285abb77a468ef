import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { Config } from '../config.ts';
import { frameworkProblem, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export type ConnectionLimits = Pick<
  Config,
  | 'HTTP_REQUEST_TIMEOUT_MS'
  | 'HTTP_HEADERS_TIMEOUT_MS'
  | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'
  | 'HTTP_MAX_CONNECTIONS'
>;

/**
 * Time limits on slow clients. They bound only the receiving of a request: once a request has
 * arrived whole, its answer may take as long as it likes, so a stream (server-sent events) is never
 * cut by them and needs no opt-out. Node checks the limits every `connectionsCheckingInterval`.
 */
export function connectionOptions(limits: ConnectionLimits): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'keepAliveTimeout' | 'clientErrorHandler'
> & {
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: limits.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: limits.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: limits.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(limits.HTTP_HEADERS_TIMEOUT_MS / 4)),
    },
    clientErrorHandler: answerClientError,
  };
}

/** Connections beyond the cap are closed by Node as they arrive, before a byte is read. */
export function capConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.HTTP_MAX_CONNECTIONS;
}

const SECURITY_HEADER_LINES = SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}\r\n`).join('');

const CLIENT_ERRORS: Record<string, { status: number; slug: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    slug: 'request-timeout',
    detail: 'the request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    slug: 'headers-too-large',
    detail: 'the request line and headers are too large',
  },
};
const MALFORMED = {
  status: 400,
  slug: 'malformed-request',
  detail: 'the request is not well-formed HTTP/1.1',
};

/**
 * What Node's HTTP parser refuses (a malformed request or header, headers too large, a request too
 * slow) never reaches Fastify: it is answered here, on the socket, as a problem document, and the
 * connection closes.
 */
function answerClientError(
  this: { log: FastifyBaseLogger },
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, slug, detail } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  // An answer already begun (a stream) must not be followed by another: then the connection just closes.
  const answering = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !answering?.headersSent) {
    const body = JSON.stringify(frameworkProblem(status, slug, detail));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n' +
        SECURITY_HEADER_LINES +
        `\r\n${body}`,
    );
  }
  socket.destroy();
  this.log.debug({ err: error, status }, 'client error');
}
