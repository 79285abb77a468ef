// @ts-check
// PGlite on a thread of its own (see pglite.ts, which talks to it and does all the protocol work:
// this thread only runs PostgreSQL). Plain JavaScript so that a worker thread can load it whatever
// runs the main thread (tsx, vitest, node).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const db = await PGlite.create(workerData.dataDir);
// A new WAL segment is not filled with 16 MB of zeros first: under load that fill held the one
// connection, and every shopper's statement behind it, for 40-100 ms once per segment (every second
// or two of a spike). Its use, space reserved up front, is little where fsync is off already (as
// PGlite has it). docs/decisions/0034.
await db.exec('SET wal_init_zero = off');

/**
 * Runs protocol messages made by the main thread and answers with PostgreSQL's raw reply, whose
 * buffer is handed over, not copied. The reply is taken as it comes (PGlite's own raw calls also
 * parse it into messages, which the main thread does instead).
 * @param {Uint8Array} message
 */
const run = async (message) => {
  /** @type {Uint8Array[]} */
  const chunks = [];
  let length = 0;
  await db.execProtocolRawStream(message, {
    syncToFs: false,
    onRawData: (chunk) => {
      chunks.push(chunk.slice()); // a view of PostgreSQL's memory, reused for the next chunk
      length += chunk.length;
    },
  });
  const reply = chunks.length === 1 ? chunks[0] : concat(chunks, length);
  return { result: reply, transfer: [reply.buffer] };
};

/**
 * @param {Uint8Array[]} chunks
 * @param {number} length
 */
function concat(chunks, length) {
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.length;
  }
  return whole;
}

/**
 * Work waiting for the database: statements made outside a transaction, and transactions to open.
 * Background work (the main thread says which: projections, sagas, bookkeeping) starts only when no
 * other waits. One is given to PGlite at a time (a transaction holds it until the main thread ends
 * it), and after each the thread looks at the messages that came in meanwhile, so a shopper's
 * statement overtakes the background work queued before it.
 * @typedef {{ answer: { result?: unknown; transfer?: ArrayBuffer[] }; held?: Promise<void> }} Turn
 * @type {{ work(): Promise<Turn>; resolve(answer: Turn['answer']): void; reject(error: unknown): void }[][]}
 */
const [waiting, waitingInBackground] = [[], []];
let draining = false;

/**
 * @param {boolean} background
 * @param {() => Promise<Turn>} work
 * @returns {Promise<Turn['answer']>}
 */
function inTurn(background, work) {
  return new Promise((resolve, reject) => {
    (background ? waitingInBackground : waiting).push({ work, resolve, reject });
    if (!draining) void drain();
  });
}

async function drain() {
  draining = true;
  for (let next; (next = waiting.shift() ?? waitingInBackground.shift());) {
    try {
      const { answer, held } = await next.work();
      next.resolve(answer);
      await held; // a transaction: nothing else runs until the main thread ends it
    } catch (error) {
      next.reject(error);
    }
    await new Promise(setImmediate); // the messages that arrived meanwhile
  }
  draining = false;
}

/**
 * A statement alone: it is written through to the data directory when it is done.
 * @param {Uint8Array} bytes
 * @returns {Promise<Turn>}
 */
const alone = async (bytes) => ({
  answer: await db._runExclusiveTransaction(async () => {
    const reply = await db.runExclusive(() => run(bytes));
    await db.syncToFs();
    return reply;
  }),
});

/**
 * A transaction, opened with its first statement, whose reply goes with the transaction's id.
 * @param {number} id
 * @param {Uint8Array | undefined} bytes
 * @returns {Promise<Turn>}
 */
async function opening(id, bytes) {
  const tx = await begin(id);
  const held = transaction(tx).done.catch(() => undefined);
  if (!bytes) return { answer: { result: { tx } }, held };
  try {
    const { result, transfer } = await db.runExclusive(() => run(bytes));
    return { answer: { result: { tx, reply: result }, transfer }, held };
  } catch (error) {
    await end(tx, false).catch(() => undefined);
    throw error;
  }
}

/**
 * Transactions open on behalf of the main thread: each holds the database (PGlite's transaction
 * lock) until the main thread commits or rolls it back.
 * @type {Map<number, { exec(sql: string): Promise<unknown>; end(commit: boolean): void; done: Promise<void> }>}
 */
const transactions = new Map();
const ROLLBACK = Symbol('rollback');

/**
 * Opens a transaction for the main thread: resolves once it holds the database.
 * @param {number} id
 */
function begin(id) {
  return new Promise((opened, failed) => {
    /** @type {(commit: boolean) => void} */
    let end = () => undefined;
    const done = db
      .transaction(async (tx) => {
        const ended = new Promise((commit, rollback) => {
          end = (doCommit) => (doCommit ? commit(undefined) : rollback(ROLLBACK));
        });
        transactions.set(id, { exec: (sql) => tx.exec(sql), end: (doCommit) => end(doCommit), done });
        opened(id);
        await ended;
      })
      .then(
        () => undefined,
        (error) => {
          failed(error); // unless it was opened: then the commit that failed reports it
          if (error !== ROLLBACK) throw error;
        },
      )
      .finally(() => transactions.delete(id));
    done.catch(() => undefined); // awaited by the commit or rollback, if any comes
  });
}

/**
 * @param {number} id
 * @param {boolean} commit
 */
async function end(id, commit) {
  const open = transaction(id);
  open.end(commit);
  await open.done;
}

/** @param {number} id */
function transaction(id) {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id}`);
  return open;
}

/**
 * @param {any} message
 * @returns {Promise<{ result?: unknown; transfer?: ArrayBuffer[] }>}
 */
async function perform(message) {
  switch (message.op) {
    case 'run':
      return inTurn(message.background === true, () => alone(message.bytes));
    case 'exec':
      await db.exec(message.sql);
      return {};
    case 'begin':
      return inTurn(message.background === true, () => opening(message.id, message.bytes));
    // Inside a transaction, which already holds the database for itself.
    case 'tx-run':
      transaction(message.tx);
      return db.runExclusive(() => run(message.bytes));
    case 'tx-exec':
      await transaction(message.tx).exec(message.sql);
      return {};
    case 'commit':
    case 'rollback':
      await end(message.tx, message.op === 'commit');
      return {};
    case 'close':
      // In turn, so that no statement is running in PostgreSQL when it closes (and the main thread
      // then ends this thread): only work queued behind the close is left, and it fails at once.
      return inTurn(false, async () => {
        await db.close();
        return { answer: {} };
      });
    default:
      throw new Error(`unknown operation ${message.op}`);
  }
}

/** The fields of a database error the main thread needs (an Error crosses threads as message only). */
const ERROR_FIELDS = [
  'code',
  'constraint',
  'detail',
  'hint',
  'table',
  'column',
  'schema',
  'severity',
  'where',
];

port.on('message', (message) => {
  perform(message).then(
    ({ result, transfer }) => port.postMessage({ id: message.id, result }, transfer ?? []),
    (/** @type {any} */ error) =>
      port.postMessage({
        id: message.id,
        error: {
          message: String(error?.message ?? error),
          ...Object.fromEntries(
            ERROR_FIELDS.filter((f) => error?.[f] !== undefined).map((f) => [f, error[f]]),
          ),
        },
      }),
  );
});

// The array types, for the main thread's parsers (as PGlite finds them for its own).
const { rows: arrayTypes } = await db.query(`
  SELECT b.oid, b.typarray FROM pg_catalog.pg_type a
    LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
   WHERE a.typcategory = 'A' GROUP BY b.oid, b.typarray ORDER BY b.oid`);
port.postMessage({ ready: true, arrayTypes });
