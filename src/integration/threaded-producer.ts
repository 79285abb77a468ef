import { Worker } from 'node:worker_threads';
import type { TopicMessages } from 'kafkajs';
import type { KafkaSettings } from './kafka-client.ts';

export type ProducerRequest =
  | { id: number; kind: 'connect' }
  | { id: number; kind: 'send'; topicMessages: TopicMessages[]; timeoutMs: number }
  | { id: number; kind: 'disconnect' };

type Unsent<R> = R extends unknown ? Omit<R, 'id'> : never;

export type ProducerReply = { id: number; ok: true } | { id: number; ok: false; error: string };

/** What the relay needs from a producer: idempotent, acks=all sends, one at a time. */
export interface BatchProducer {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every record (acks=all). */
  send(topicMessages: TopicMessages[], timeoutMs: number): Promise<void>;
  disconnect(): Promise<void>;
}

// The worker is TypeScript like the rest of the platform: a tiny ES module registers tsx in the new
// thread, then imports it. (`execArgv: ['--import', 'tsx']` does not reach a worker on Node 20.)
const WORKER = new URL('./producer-thread.ts', import.meta.url).href;
const BOOTSTRAP = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\n` +
      `register();\nawait import(${JSON.stringify(WORKER)});\n`,
  )}`,
);

/**
 * A kafkajs producer in a worker thread (producer-thread.ts). If the thread dies, every pending and
 * later call fails: the relay then throws this producer away and starts a new one.
 */
export class ThreadedProducer implements BatchProducer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private dead: Error | undefined;

  constructor(settings: KafkaSettings) {
    this.worker = new Worker(BOOTSTRAP, { workerData: settings });
    this.worker.on('message', (reply: ProducerReply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) call?.resolve();
      else call?.reject(new Error(reply.error));
    });
    const fail = (error: Error) => {
      this.dead ??= error;
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the producer thread exited (code ${code})`)));
  }

  connect(): Promise<void> {
    return this.call({ kind: 'connect' });
  }

  send(topicMessages: TopicMessages[], timeoutMs: number): Promise<void> {
    return this.call({ kind: 'send', topicMessages, timeoutMs });
  }

  async disconnect(): Promise<void> {
    if (!this.dead) await this.call({ kind: 'disconnect' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(request: Unsent<ProducerRequest>): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }
}
