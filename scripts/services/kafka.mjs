// Apache Kafka 4.x in KRaft mode (one combined broker + controller) on 127.0.0.1, without Docker.
// The jars come from Maven Central: a small pom and `mvn dependency:copy-dependencies` into the cache
// folder, once. Each broker instance lives in a folder of its own named after its port, so a test can
// run a dedicated broker on other ports and stop it without disturbing the shared one on 9092.
//   up()                      the shared broker: KAFKA_BROKERS from the environment, else 127.0.0.1:9092
//   up({ port: 19092 })       a dedicated broker (controller on port + 1), same jars, own log folder
//   down({ port, signal })    stops the instance this script started on that port (SIGTERM by default)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import {
  aptInstall,
  cacheDir,
  log,
  ownedPid,
  portOpen,
  runs,
  sleep,
  stopProcess,
  waitFor,
} from './common.mjs';

export const KAFKA_VERSION = process.env.SERVICES_KAFKA_VERSION ?? '4.1.1';
const SLF4J_VERSION = '2.0.17';
const DEFAULT_PORT = 9092;
const distDir = join(cacheDir, 'kafka', KAFKA_VERSION);
const libsDir = join(distDir, 'libs');
// Small on purpose: the machine has two cores and other servers share them.
const JVM_OPTIONS = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-Djava.awt.headless=true',
];

/**
 * True when a Kafka broker answers an ApiVersions request (API key 18, version 0) on `port` with no
 * error: enough to tell Kafka from anything else listening there.
 */
function speaksKafka(port) {
  return new Promise((resolve) => {
    const clientId = Buffer.from('services-probe');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0);
    body.writeInt16BE(0, 2);
    body.writeInt32BE(7411, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    frame.writeInt32BE(body.length, 0);
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const finish = (answer) => (socket.destroy(), clearTimeout(timer), resolve(answer));
    const timer = setTimeout(() => finish(false), 2_000);
    socket.once('connect', () => socket.write(frame));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 10) return;
      finish(received.readInt32BE(4) === 7411 && received.readInt16BE(8) === 0);
    });
    socket.once('error', () => finish(false));
  });
}

/**
 * Ready means more than a listening socket: the broker serves metadata with itself as the controller
 * and a leader-backed internal topic can be created. A kafkajs admin client asks for the cluster.
 */
async function brokerReady(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'services-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The last 80 lines of the broker's log when it does not come up in time. */
const logTail = { tailLines: 80 };

const pom = () => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.eventful-commerce</groupId>
  <artifactId>kafka-server</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <!-- The kafka_2.13 POM does not carry Kafka's log4j2 binding: without one SLF4J logs nothing. Its
         transitive slf4j-api is 1.7.36, which cannot find a 2.x binding: pin the API to the binding's. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

/** Java (and Maven to fetch the jars) from Debian when this machine lacks them (the project's have both). */
function ensureTools({ maven }) {
  const missing = [
    ...(runs('java', ['-version']) ? [] : ['openjdk-17-jre-headless']),
    ...(maven && !runs('mvn', ['-v']) ? ['maven'] : []),
  ];
  if (missing.length > 0) aptInstall(...missing);
}

/** The broker's jars in the cache folder: fetched from Maven Central on first use only. */
function kafkaLibs() {
  const done = join(distDir, '.complete');
  const cached = existsSync(done) && readFileSync(done, 'utf8') === pom();
  ensureTools({ maven: !cached });
  if (cached) return libsDir;
  rmSync(libsDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });
  writeFileSync(join(distDir, 'pom.xml'), pom());
  log(
    `fetching Apache Kafka ${KAFKA_VERSION} and its dependencies from Maven Central with mvn (first time only)`,
  );
  const started = Date.now();
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(distDir, 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libsDir}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 2, 2] },
  );
  if (r.error) throw new Error(`cannot run mvn to fetch Kafka: ${r.error.message}`);
  if (r.status !== 0) throw new Error('mvn dependency:copy-dependencies for Kafka failed (see above)');
  const jars = readdirSync(libsDir).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`)))
    throw new Error(`mvn finished but ${libsDir} holds no kafka_2.13-${KAFKA_VERSION} jar`);
  writeFileSync(done, pom());
  log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)}s into ${libsDir}`);
  return libsDir;
}

const java = (args, options = {}) =>
  execFileSync('java', ['-Xmx256m', '-cp', `${libsDir}/*`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  }).toString();

const instanceDir = (port) => join(cacheDir, `kafka-${port}`);

function serverProperties(port, controllerPort, dataDir) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests join consumer groups all the time: no waiting for more members to arrive.
    'group.initial.rebalance.delay.ms=0',
    // After a crash the restarted node is refused (DUPLICATE_BROKER_REGISTRATION) until the dead
    // incarnation's session expires: 9 s by default, 3 s here.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=500',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'log.retention.hours=24',
    '',
  ].join('\n');
}

const pidFileOf = (port) => join(instanceDir(port), 'kafka.pid');

/** The pid of the broker this script started on `port`, if that process still is that broker. */
function runningPid(port) {
  return ownedPid(pidFileOf(port), 'kafka.Kafka', instanceDir(port));
}

/**
 * Starts a broker if none answers on the port (idempotent) and resolves to { KAFKA_BROKERS }.
 * Without options it serves the shared broker, unless KAFKA_BROKERS already names one.
 */
export async function up(options = {}) {
  if (options.port === undefined && process.env.KAFKA_BROKERS)
    return { KAFKA_BROKERS: process.env.KAFKA_BROKERS };
  const port = options.port ?? Number(process.env.SERVICES_KAFKA_PORT ?? DEFAULT_PORT);
  const controllerPort = options.controllerPort ?? port + 1;
  const brokers = `127.0.0.1:${port}`;
  const dir = instanceDir(port);
  const logFile = join(dir, 'kafka.log');
  if (await portOpen(port)) {
    // Another run of this script may still be starting it: give it time, but only if it is Kafka.
    if (!(await speaksKafka(port))) {
      await sleep(1_000);
      if (!(await speaksKafka(port))) throw new Error(`something that is not Kafka answers on ${brokers}`);
    }
    await waitFor(`Kafka on ${brokers}`, () => brokerReady(brokers), 60_000, logFile, logTail);
    return { KAFKA_BROKERS: brokers };
  }
  if (await portOpen(controllerPort))
    throw new Error(`port ${controllerPort} (the controller listener for ${brokers}) is taken`);
  kafkaLibs();
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, serverProperties(port, controllerPort, dataDir));
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').at(-1);
    log(`formatting Kafka storage in ${dataDir} (cluster ${clusterId})`);
    java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties, '--ignore-formatted']);
  }
  log(
    `starting Apache Kafka ${KAFKA_VERSION} (KRaft) on ${brokers}, controller on 127.0.0.1:${controllerPort}`,
  );
  const started = Date.now();
  const out = openSync(logFile, 'w');
  const child = spawn(
    'java',
    [
      ...JVM_OPTIONS,
      `-Dorg.slf4j.simpleLogger.defaultLogLevel=${process.env.SERVICES_KAFKA_LOG_LEVEL ?? 'info'}`,
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-cp',
      `${libsDir}/*`,
      'kafka.Kafka',
      properties,
    ],
    { detached: true, stdio: ['ignore', out, out], cwd: dir },
  );
  closeSync(out);
  child.unref();
  writeFileSync(pidFileOf(port), `${child.pid}\n`);
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(
    `Kafka on ${brokers}`,
    async () => {
      if (exited)
        throw new Error(`Kafka exited during start-up:\n${readFileSync(logFile, 'utf8').slice(-6_000)}`);
      return (await portOpen(port)) && (await brokerReady(brokers));
    },
    options.timeoutMs ?? 90_000,
    logFile,
    logTail,
  );
  log(`Kafka on ${brokers} ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { KAFKA_BROKERS: brokers };
}

/** Stops the broker this script started on the port; `signal: 'SIGKILL'` for a crash. Waits for it to end. */
export async function down(options = {}) {
  const port = options.port ?? Number(process.env.SERVICES_KAFKA_PORT ?? DEFAULT_PORT);
  const pid = runningPid(port);
  if (pid === undefined) {
    rmSync(pidFileOf(port), { force: true });
    return;
  }
  await stopProcess(pid, {
    name: `Kafka on port ${port}`,
    port,
    signal: options.signal ?? 'SIGTERM',
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  rmSync(pidFileOf(port), { force: true });
}

/** Removes a dedicated broker's folder (its data and log) after it was stopped. */
export function remove(options) {
  if (options?.port === undefined || options.port === DEFAULT_PORT)
    throw new Error('remove() is for dedicated brokers on ports of their own');
  if (runningPid(options.port) !== undefined) throw new Error(`Kafka on port ${options.port} still runs`);
  rmSync(instanceDir(options.port), { recursive: true, force: true });
}
