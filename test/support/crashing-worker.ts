import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform } from '../../src/platform.ts';

// A worker process for the crash tests: the platform opened as src/main.ts opens it (ROLE=worker),
// with a checkout saga that SIGKILLs its own process on reaching the step named by the first
// argument. `node --import tsx test/support/crashing-worker.ts after-capture`

const crashAt = process.argv[2];
if (!crashAt) throw new Error('usage: crashing-worker.ts <saga step to crash at>');

const config = loadConfig();
const platform = await openPlatform(config, {
  sagaStepHook: (step) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
await platform.startWorkers();
const app = await buildServer(platform);
const address = await app.listen({ port: config.PORT, host: config.HOST });
console.log(`crashing worker (crash at ${crashAt}) serving on ${address}`);
const shutdown = async () => {
  await app.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
