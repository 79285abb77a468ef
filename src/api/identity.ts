import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AccountLockedError,
  InvalidCredentialsError,
  WeakPasswordError,
  type Accounts,
} from '../identity/accounts.ts';
import { HashingBusyError } from '../identity/hashing-gate.ts';
import { RefreshRefusedError, type Session } from '../identity/sessions.ts';
import { AccountDisabledError, EmailTakenError, ROLES } from '../identity/users.ts';
import { authenticated, caller, callerSession, challengeCredentials, requireRole } from './auth.ts';
import { HttpProblem, notFound } from './problem.ts';
import { tooManyRequests, type RouteLimits } from './rate-limits.ts';

const credentials = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
});
const refreshToken = z.string().min(1).max(200);
const sessionSchema = z.object({
  token: z.string(),
  refreshToken: z.string(),
  /** Seconds until `token` expires. */
  expiresIn: z.int(),
  user: z.object({ userId: z.string(), email: z.string(), role: z.enum(ROLES) }),
});

export type IdentityRouteOptions = Readonly<{
  accounts: Accounts;
  accessTokenSeconds: number;
  limits: RouteLimits;
}>;

/**
 * Register, sign in, refresh, sign out; admins disable accounts. Passwords are checked here and
 * never logged, stored or echoed in clear; answers carrying tokens are never cached.
 */
export const identityRoutes: FastifyPluginAsync<IdentityRouteOptions> = async (
  app,
  { accounts, accessTokenSeconds, limits },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tokens = (reply: FastifyReply, session: Session) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return {
      token: app.issueToken(session.user, session.sessionId),
      refreshToken: session.refreshToken,
      expiresIn: accessTokenSeconds,
      user: session.user,
    };
  };
  const limited = (hook: RouteLimits[keyof RouteLimits]) => (hook ? { onRequest: hook } : {});

  routes.post(
    '/auth/register',
    {
      ...limited(limits.register),
      schema: { tags: ['identity'], body: credentials, response: { 201: sessionSchema } },
    },
    async (request, reply) => {
      try {
        const session = await accounts.register(request.body.email, request.body.password);
        return reply.code(201).send(tokens(reply, session));
      } catch (error) {
        if (error instanceof EmailTakenError)
          throw new HttpProblem(409, 'email-taken', 'Email already registered', error.message);
        if (error instanceof WeakPasswordError)
          throw new HttpProblem(400, 'weak-password', 'Password too easy to guess', error.message, {
            errors: [{ field: 'body.password', problem: error.reason }],
          });
        throw busyOr(reply, error);
      }
    },
  );

  routes.post(
    '/auth/login',
    {
      ...limited(limits.login),
      schema: {
        tags: ['identity'],
        body: credentials.extend({ password: z.string().min(1).max(256) }),
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      try {
        return tokens(reply, await accounts.signIn(request.body.email, request.body.password));
      } catch (error) {
        if (error instanceof InvalidCredentialsError) {
          challengeCredentials(reply);
          throw new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'wrong email or password');
        }
        if (error instanceof AccountLockedError) {
          void reply.header('retry-after', String(error.retryAfterSeconds));
          throw tooManyRequests(error.retryAfterSeconds, 'too many sign-in attempts for this account');
        }
        if (error instanceof AccountDisabledError)
          throw new HttpProblem(403, 'account-disabled', 'Account disabled', error.message);
        throw busyOr(reply, error);
      }
    },
  );

  routes.post(
    '/auth/refresh',
    {
      ...limited(limits.refresh),
      schema: {
        tags: ['identity'],
        body: z.strictObject({ refreshToken }),
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      try {
        return tokens(reply, await accounts.refresh(request.body.refreshToken));
      } catch (error) {
        if (error instanceof RefreshRefusedError) {
          challengeCredentials(reply);
          throw new HttpProblem(401, 'invalid-refresh-token', 'Invalid refresh token', error.message);
        }
        throw error;
      }
    },
  );

  routes.post(
    '/auth/logout',
    {
      onRequest: authenticated,
      schema: {
        tags: ['identity'],
        security: [{ bearer: [] }],
        body: z.strictObject({ refreshToken }),
        response: { 204: z.void().describe('signed out') },
      },
    },
    async (request, reply) => {
      await accounts.signOut(caller(request).userId, callerSession(request), request.body.refreshToken);
      return reply.code(204).send();
    },
  );

  routes.post(
    '/admin/users/:userId/disable',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['identity'],
        security: [{ bearer: [] }],
        params: z.strictObject({ userId: z.uuid() }),
        response: { 200: z.object({ userId: z.string(), disabled: z.literal(true) }) },
      },
    },
    async (request) => {
      if (!(await accounts.disable(request.params.userId))) throw notFound(`user ${request.params.userId}`);
      return { userId: request.params.userId, disabled: true as const };
    },
  );
};

/** The hashing bound refused the request: 503 with Retry-After, at once. Anything else as it was. */
function busyOr(reply: FastifyReply, error: unknown): unknown {
  if (!(error instanceof HashingBusyError)) return error;
  void reply.header('retry-after', String(error.retryAfterSeconds));
  return new HttpProblem(503, 'busy', 'Busy', error.message, { retryAfter: error.retryAfterSeconds });
}
