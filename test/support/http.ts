import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../src/platform.ts';
import type { Role } from '../../src/identity/users.ts';

/** A signed-in user's bearer header, for tests that call the API as them. */
export async function signIn(
  app: FastifyInstance,
  platform: Platform,
  email: string,
  role: Role = 'customer',
) {
  const password = 'a long test password';
  await platform.users.ensure(email, password, role);
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`login failed for ${email}: ${response.body}`);
  const { token, user } = response.json() as { token: string; user: { userId: string } };
  return { userId: user.userId, headers: { authorization: `Bearer ${token}` } };
}
