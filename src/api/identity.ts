import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EmailTakenError, ROLES, type Users } from '../identity/users.ts';
import { HttpProblem } from './problem.ts';

const credentials = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
});
const session = z.object({
  token: z.string(),
  user: z.object({ userId: z.string(), email: z.string(), role: z.enum(ROLES) }),
});

/** Register and sign in. Passwords are checked here and never logged, stored or echoed in clear. */
export const identityRoutes: FastifyPluginAsync<{ users: Users }> = async (app, { users }) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/auth/register',
    { schema: { tags: ['identity'], body: credentials, response: { 201: session } } },
    async (request, reply) => {
      try {
        const user = await users.register(request.body.email, request.body.password);
        return reply.code(201).send({ token: app.issueToken(user), user });
      } catch (error) {
        if (error instanceof EmailTakenError)
          throw new HttpProblem(409, 'email-taken', 'Email already registered', error.message);
        throw error;
      }
    },
  );

  routes.post(
    '/auth/login',
    {
      schema: {
        tags: ['identity'],
        body: credentials.extend({ password: z.string().min(1).max(256) }),
        response: { 200: session },
      },
    },
    async (request) => {
      const user = await users.authenticate(request.body.email, request.body.password);
      if (!user)
        throw new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'wrong email or password');
      return { token: app.issueToken(user), user };
    },
  );
};
