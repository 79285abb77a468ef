import Fastify from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { analyticsRoutes } from '../../../src/api/analytics.ts';
import { authPlugin } from '../../../src/api/auth.ts';
import { registerProblemHandlers } from '../../../src/api/problem.ts';
import { pluginDependencies } from '../../../src/api/server.ts';
import type { Role } from '../../../src/identity/users.ts';
import type { Platform } from '../../../src/platform.ts';

/**
 * The analytics plugin alone, with the platform's auth and problem handling: the same routes
 * `buildServer` serves once it registers the plugin.
 */
export async function analyticsApp(platform: Platform) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerProblemHandlers(app);
  await app.register(authPlugin, { secret: platform.jwtSecret });
  await app.register(analyticsRoutes, { analytics: pluginDependencies(platform).analytics });
  await app.ready();
  const bearer = (role: Role) => ({
    authorization: `Bearer ${app.issueToken({ userId: `${role}-1`, email: `${role}@example.com`, role })}`,
  });
  return { app, bearer };
}
