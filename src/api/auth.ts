import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { randomBytes } from 'node:crypto';
import type { TokenRevocations } from '../identity/revocations.ts';
import type { Role, User } from '../identity/users.ts';
import { forbidden, unauthorized } from './problem.ts';

/** `sid`: the session (sign-in) the token belongs to; signing out or disabling the account revokes it. */
type TokenClaims = { sub: string; email: string; role: Role; sid?: string };

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** An access token for the user, within the session `sessionId` when there is one. */
    issueToken(user: User, sessionId?: string): string;
    /** Whether a verified token's account and session still stand. */
    tokenIsLive(claims: TokenClaims): boolean | Promise<boolean>;
  }
}

export type AuthOptions = Readonly<{
  secret: string;
  /** At most 15 minutes (the default); a refresh token gets the next one. */
  accessTokenSeconds?: number;
  /** Unset (a test app of one plugin): tokens are checked for signature and expiry only. */
  revocations?: TokenRevocations;
}>;

/** Bearer tokens (JWT, HS256). Routes opt in with `authenticated` or `requireRole(...)` as an onRequest hook (before validation: an anonymous caller learns nothing about the body). */
export const authPlugin = fp(async (app: FastifyInstance, options: AuthOptions) => {
  await app.register(fastifyJwt, {
    secret: options.secret,
    sign: { expiresIn: options.accessTokenSeconds ?? 900 },
  });
  app.decorate('issueToken', (user: User, sessionId?: string) =>
    app.jwt.sign(
      { sub: user.userId, email: user.email, role: user.role, ...(sessionId ? { sid: sessionId } : {}) },
      // Its own id: two tokens issued within one second are not the same string.
      { jti: randomBytes(12).toString('base64url') },
    ),
  );
  const revocations = options.revocations;
  app.decorate('tokenIsLive', (claims: TokenClaims) =>
    revocations ? revocations.isLive(claims.sub, claims.sid) : true,
  );
});

/** RFC 6750: a 401 names the scheme, and says when the token given was the trouble. */
const challenge = (reply: FastifyReply, tokenGiven: boolean) =>
  reply.header(
    'www-authenticate',
    tokenGiven
      ? 'Bearer realm="eventful-commerce", error="invalid_token"'
      : 'Bearer realm="eventful-commerce"',
  );

export const authenticated: onRequestAsyncHookHandler = async (request, reply) => {
  const tokenGiven = /^bearer\s/i.test(request.headers.authorization ?? '');
  try {
    await request.jwtVerify();
  } catch {
    challenge(reply, tokenGiven);
    throw unauthorized();
  }
  if (!(await request.server.tokenIsLive(request.user))) {
    challenge(reply, true);
    throw unauthorized('this token was revoked: sign in again');
  }
};

/** The 401 of a sign-in or refresh refused: the same challenge as the bearer routes'. */
export const challengeCredentials = (reply: FastifyReply) => challenge(reply, false);

export const requireRole = (...roles: Role[]): onRequestAsyncHookHandler =>
  async function (request, reply) {
    await authenticated.call(this, request, reply);
    if (!roles.includes(request.user.role)) throw forbidden(`this needs the role ${roles.join(' or ')}`);
  };

/** The signed-in caller (after `authenticated`). */
export const caller = (request: FastifyRequest) => ({
  userId: request.user.sub,
  role: request.user.role,
  email: request.user.email,
});

/** The session the caller's token belongs to, if it names one. */
export const callerSession = (request: FastifyRequest): string | undefined => request.user.sid;
