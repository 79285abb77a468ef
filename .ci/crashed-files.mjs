// Prints the test files whose fork died of V8's JIT-page check (nodejs/node#64500, PGlite's
// WebAssembly in worker threads) before it reported anything, one per line; prints nothing when the
// run failed any other way (a failed test, a failed file, another error), so that nothing else is retried.
// Usage: node .ci/crashed-files.mjs <vitest JSON report> <the run's output> <vitest list --filesOnly --json>
import { readFileSync } from 'node:fs';
const [report, output, listed] = process.argv.slice(2).map((file) => readFileSync(file, 'utf8'));
const r = JSON.parse(report);
const log = output.replace(/\x1b\[[0-9;]*m/g, '');
const v8Crash = /Check failed: jit_page/.test(log) && /Worker exited unexpectedly/.test(log);
const failed = (r.testResults ?? []).some((f) => f.status === 'failed');
if (!v8Crash || failed || r.numFailedTests > 0) process.exit(0);
// Only the unhandled errors of forks that died: any other unhandled error is a failure of its own.
const unhandled = (log.match(/Vitest caught (\d+) unhandled errors?/) ?? [])[1];
const died = (log.match(/Worker exited unexpectedly/g) ?? []).length;
if (unhandled !== undefined && Number(unhandled) > died) process.exit(0);
// A file whose fork died shows as passed with its tests left pending (main has no skipped tests), or
// not at all.
const reported = new Map((r.testResults ?? []).map((f) => [f.name, f]));
const cut = (f) => (f.assertionResults ?? []).some((t) => t.status === 'pending');
for (const { file } of JSON.parse(listed))
  if (!reported.has(file) || cut(reported.get(file))) console.log(file);
