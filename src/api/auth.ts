import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role, User } from '../identity/users.ts';
import { forbidden, unauthorized } from './problem.ts';

type TokenClaims = { sub: string; email: string; role: Role };

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    issueToken(user: User): string;
  }
}

/** Bearer tokens (JWT, HS256). Routes opt in with `authenticated` or `requireRole(...)` as an onRequest hook (before validation: an anonymous caller learns nothing about the body). */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { secret: string; expiresIn?: string }) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: { expiresIn: options.expiresIn ?? '12h' },
    });
    app.decorate('issueToken', (user: User) =>
      app.jwt.sign({ sub: user.userId, email: user.email, role: user.role }),
    );
  },
);

export const authenticated: onRequestAsyncHookHandler = async (request) => {
  try {
    await request.jwtVerify();
  } catch {
    throw unauthorized();
  }
};

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
