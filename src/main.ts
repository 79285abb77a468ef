import { buildServer } from './api/server.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openPlatform } from './platform.ts';
import { seedDemoAtStartup } from './seed/startup.ts';

try {
  const config = loadConfig();
  const platform = await openPlatform(config);
  if (config.ROLE !== 'worker') await seedDemoAtStartup(platform);
  if (config.ROLE !== 'api') await platform.startWorkers();
  // Every role serves HTTP: a worker answers /health, /ready and /metrics for its supervisor.
  const app = await buildServer(platform);
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  console.log(`eventful-commerce (${platform.profile} profile, role ${config.ROLE}) serving on ${address}`);
  const shutdown = async () => {
    await app.close();
    await platform.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
