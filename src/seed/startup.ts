import { randomBytes } from 'node:crypto';
import type { Platform } from '../platform.ts';
import { loadOrCreateSecret } from '../secrets.ts';
import { DEMO_USERS, seedDemo } from './demo.ts';

/**
 * The demo shop at start-up: always in the embedded profile, with SEED_DEMO=true in the services
 * profile. The password is DEMO_PASSWORD, else generated once and kept in DATA_DIR, so a restart
 * prints the password the demo accounts really have.
 */
export async function seedDemoAtStartup(platform: Platform): Promise<void> {
  const { SEED_DEMO, DEMO_PASSWORD, ADMIN_EMAIL, ADMIN_PASSWORD } = platform.config;
  if (ADMIN_EMAIL && ADMIN_PASSWORD) await platform.users.ensure(ADMIN_EMAIL, ADMIN_PASSWORD, 'admin');
  if (platform.profile !== 'embedded' && !SEED_DEMO) return;
  const password = DEMO_PASSWORD ?? (await generatedPassword(platform.config.DATA_DIR));
  const started = performance.now();
  const seeded = await seedDemo(platform, { password });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const { HOST, PORT } = platform.config;
  console.log(
    [
      seeded.streamsWritten > 0
        ? `demo catalog: ${seeded.products} products seeded in ${seconds} s`
        : `demo catalog: already there (${seeded.products} products)`,
      `demo accounts at http://${HOST}:${PORT} (API docs: /docs), password ${DEMO_PASSWORD ? 'from DEMO_PASSWORD' : password}:`,
      ...DEMO_USERS.map(({ email, role }) => `  ${role.padEnd(8)} ${email}`),
      ...(seeded.usersCreated.length < DEMO_USERS.length
        ? ['  (accounts that existed before keep the password they were created with)']
        : []),
    ].join('\n'),
  );
}

async function generatedPassword(dataDir: string): Promise<string> {
  if (dataDir === 'memory://') return randomBytes(12).toString('base64url');
  return (await loadOrCreateSecret(dataDir, 'demo-password')).slice(0, 16);
}
