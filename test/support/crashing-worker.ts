import { buildServer } from '../../src/api/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform } from '../../src/platform.ts';

// A worker process for the crash tests: the platform opened as src/main.ts opens it (ROLE=worker),
// with a checkout saga and a refund process that SIGKILL their own process on reaching the step
// named by the first argument. `node --import tsx test/support/crashing-worker.ts after-capture`

const crashAt = process.argv[2];
if (!crashAt) throw new Error('usage: crashing-worker.ts <saga step to crash at>');

const config = loadConfig();
const crashHere = (step: string) => {
  if (step === crashAt) process.kill(process.pid, 'SIGKILL');
};
// The refund process's steps are named `refund-…`, so one argument names a step of either process.
const platform = await openPlatform(config, { sagaStepHook: crashHere, refundStepHook: crashHere });
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
