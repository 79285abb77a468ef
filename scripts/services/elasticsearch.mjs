// Elasticsearch 9 (one node, security off) on 127.0.0.1:9200, without Docker.
// The distribution is Maven Central's `integ-test-zip` (fetched with mvn, unzipped into the cache folder
// once). It is minimal: no analysis-common, mapper-extras, reindex or painless modules, so the search
// adapter uses only the standard analyzer, keyword/flattened/long fields and no scripts.
// Elasticsearch refuses to run as root: it runs as a system user of its own, `elasticsearch`.
//   up()     ELASTICSEARCH_URL from the environment, else a node on 127.0.0.1:9200 (started if none answers)
//   down()   stops the node this script started (its pid file), never another one
import { spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  aptInstall,
  cacheDir,
  log,
  ownedPid,
  portOpen,
  printTail,
  runs,
  sleep,
  stopProcess,
  waitFor,
} from './common.mjs';

export const ELASTICSEARCH_VERSION = process.env.SERVICES_ELASTICSEARCH_VERSION ?? '9.2.0';
const PORT = Number(process.env.SERVICES_ELASTICSEARCH_PORT ?? 9200);
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`;
const USER = 'elasticsearch';
// Elasticsearch 9 needs Java 21 or later; the machine's default JDK is 17.
const JAVA_HOMES = [
  process.env.ES_JAVA_HOME,
  '/usr/lib/jvm/temurin-25-jdk-amd64',
  '/usr/lib/jvm/temurin-21-jdk-amd64',
];
const distRoot = join(cacheDir, 'elasticsearch', ELASTICSEARCH_VERSION);
const home = join(distRoot, `elasticsearch-${ELASTICSEARCH_VERSION}`);
const instanceDir = join(cacheDir, `elasticsearch-${PORT}`);
const pidFile = join(instanceDir, 'elasticsearch.pid');
const logFile = join(instanceDir, 'logs', 'elasticsearch-console.log');
const url = `http://127.0.0.1:${PORT}`;

/** True when Elasticsearch (not just anything on the port) answers with a cluster at least yellow. */
async function clusterReady() {
  try {
    // This distribution has no root info endpoint (`GET /`): the product header tells Elasticsearch apart.
    const health = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
      signal: AbortSignal.timeout(3_000),
    });
    return (
      health.ok &&
      health.headers.get('x-elastic-product') === 'Elasticsearch' &&
      ['yellow', 'green'].includes((await health.json()).status)
    );
  } catch {
    return false;
  }
}

/** True when what answers HTTP on the port says it is Elasticsearch (ready or not). */
async function speaksElasticsearch() {
  try {
    const response = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(2_000) });
    return response.headers.get('x-elastic-product') === 'Elasticsearch';
  } catch {
    return false;
  }
}

/** The node's console output and its own log: what to read when it did not come up. */
const logFiles = [logFile, join(instanceDir, 'logs', 'eventful-commerce.log')];
const printLogs = () => printTail(logFiles, 80);
/** Polls every 500 ms and prints the last 80 lines of both logs when the node is not ready in time. */
const waitForNode = (check, timeoutMs) =>
  waitFor(`Elasticsearch on ${url}`, check, timeoutMs, logFiles, { intervalMs: 500, tailLines: 80 });

function javaHome() {
  const found = JAVA_HOMES.find((dir) => dir && existsSync(join(dir, 'bin', 'java')));
  if (!found)
    throw new Error(`Elasticsearch ${ELASTICSEARCH_VERSION} needs Java 21+: set ES_JAVA_HOME to such a JDK`);
  return found;
}

/** The zip from Maven Central, fetched into the local Maven repository on first use. */
function distributionZip() {
  const repo = process.env.MAVEN_REPOSITORY ?? join(homedir(), '.m2', 'repository');
  const zip = join(
    repo,
    'org/elasticsearch/distribution/integ-test-zip/elasticsearch',
    ELASTICSEARCH_VERSION,
    `elasticsearch-${ELASTICSEARCH_VERSION}.zip`,
  );
  if (existsSync(zip)) return zip;
  if (!runs('mvn', ['-v'])) aptInstall('maven');
  log(`fetching Elasticsearch ${ELASTICSEARCH_VERSION} from Maven Central with mvn (first time only)`);
  const r = spawnSync('mvn', ['-B', '-q', 'dependency:get', `-Dartifact=${ARTIFACT}`, '-Dtransitive=false'], {
    stdio: ['ignore', 2, 2],
  });
  if (r.error) throw new Error(`cannot run mvn to fetch Elasticsearch: ${r.error.message}`);
  if (r.status !== 0 || !existsSync(zip))
    throw new Error(`mvn dependency:get ${ARTIFACT} failed or left no ${zip} (see above)`);
  return zip;
}

/** The unzipped distribution in the cache folder: unzipped once, into a temporary folder renamed when whole. */
function distribution() {
  const done = join(distRoot, '.complete');
  if (existsSync(done)) return home;
  const zip = distributionZip();
  if (!runs('unzip', ['-v'])) aptInstall('unzip');
  const partial = `${distRoot}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  log(`unzipping Elasticsearch ${ELASTICSEARCH_VERSION} into ${distRoot}`);
  const r = spawnSync('unzip', ['-q', zip, '-d', partial], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`unzip ${zip} failed`);
  writeFileSync(join(partial, '.complete'), `${ARTIFACT}\n`);
  rmSync(distRoot, { recursive: true, force: true });
  mkdirSync(join(cacheDir, 'elasticsearch'), { recursive: true });
  renameSync(partial, distRoot);
  return home;
}

/** The dedicated system user the node runs as (Elasticsearch refuses root), created if missing. */
function serviceUser() {
  if (process.getuid?.() !== 0) return undefined; // not root: run as whoever we are
  if (!runs('id', ['-u', USER])) {
    log(`creating the system user ${USER}`);
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER], {
      stdio: ['ignore', 2, 2],
    });
    if (r.status !== 0 && !runs('id', ['-u', USER])) throw new Error(`useradd ${USER} failed`);
  }
  const id = (flag) => Number(spawnSync('id', [flag, USER]).stdout.toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Everything under `dir` owned by the node's user (it writes its data, logs, keystore and temp files). */
function chownTree(dir, user) {
  if (!user) return;
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, user);
    else chownSync(path, user.uid, user.gid);
  }
}

/** The pid this script started, if that process still is this node. */
function runningPid() {
  return ownedPid(pidFile, 'org.elasticsearch', home);
}

/** Starts Elasticsearch if none answers on the port (idempotent) and resolves to { ELASTICSEARCH_URL }. */
export async function up(options = {}) {
  if (process.env.ELASTICSEARCH_URL) return { ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL };
  if (await portOpen(PORT)) {
    // Another run of this script may still be starting it: give it time, but only if it is Elasticsearch.
    if (!(await speaksElasticsearch())) {
      await sleep(1_000);
      if (!(await speaksElasticsearch()))
        throw new Error(`something that is not Elasticsearch answers on ${url}`);
    }
    await waitForNode(clusterReady, options.timeoutMs ?? 120_000);
    return { ELASTICSEARCH_URL: url };
  }
  const esHome = distribution();
  const user = serviceUser();
  // Config, data, logs and temp files live in the instance folder, so the distribution stays read-only.
  const confDir = join(instanceDir, 'config');
  for (const dir of ['data', 'logs', 'tmp']) mkdirSync(join(instanceDir, dir), { recursive: true });
  if (!existsSync(join(confDir, 'jvm.options'))) cpSync(join(esHome, 'config'), confDir, { recursive: true });
  // The node writes its own pid file (-p); a stale one from a killed node would refuse the start.
  rmSync(pidFile, { force: true });
  chownTree(instanceDir, user);
  const settings = {
    'cluster.name': 'eventful-commerce',
    'node.name': `node-${PORT}`,
    'discovery.type': 'single-node',
    'network.host': '127.0.0.1',
    'http.port': String(PORT),
    'transport.port': String(PORT + 100),
    'path.data': join(instanceDir, 'data'),
    'path.logs': join(instanceDir, 'logs'),
    'xpack.security.enabled': 'false',
    // A fairly full disk must not turn indices read-only in the middle of a test run.
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
    // Two cores shared with everything else: keep the thread pools small.
    'node.processors': '2',
  };
  log(`starting Elasticsearch ${ELASTICSEARCH_VERSION} on ${url}`);
  const started = Date.now();
  const out = openSync(logFile, 'w');
  if (user) chownSync(logFile, user.uid, user.gid);
  // -d: the launcher exits once the node has started, leaving only the node (whose pid -p records).
  const child = spawn(
    join(esHome, 'bin', 'elasticsearch'),
    ['-d', '-p', pidFile, ...Object.entries(settings).map(([k, v]) => `-E${k}=${v}`)],
    {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: join(instanceDir, 'logs'),
      ...(user ?? {}),
      env: {
        PATH: process.env.PATH,
        HOME: instanceDir,
        ES_JAVA_HOME: javaHome(),
        ES_PATH_CONF: confDir,
        ES_TMPDIR: join(instanceDir, 'tmp'),
        ES_JAVA_OPTS: process.env.SERVICES_ELASTICSEARCH_JAVA_OPTS ?? '-Xms512m -Xmx512m',
      },
    },
  );
  closeSync(out);
  child.unref();
  let exitCode;
  child.once('exit', (code) => (exitCode = code ?? 1));
  await waitForNode(async () => {
    if (exitCode !== undefined && exitCode !== 0) {
      printLogs();
      throw new Error(`Elasticsearch's launcher exited with code ${exitCode} during start-up`);
    }
    return clusterReady();
  }, options.timeoutMs ?? 180_000);
  log(`Elasticsearch on ${url} ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { ELASTICSEARCH_URL: url };
}

/** Stops the node this script started and waits for it to end (SIGKILL after the time limit). */
export async function down(options = {}) {
  const pid = runningPid();
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return;
  }
  await stopProcess(pid, {
    name: `Elasticsearch on ${url}`,
    port: PORT,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  rmSync(pidFile, { force: true });
}
