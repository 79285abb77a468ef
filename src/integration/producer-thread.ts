// The Kafka producer of the relay, in a worker thread of its own: kafkajs spends most of the relay's
// CPU encoding records, which here runs beside the main thread's reading and mapping instead of
// after it. Started by ThreadedProducer (threaded-producer.ts); speaks only through its port.
import { parentPort, workerData } from 'node:worker_threads';
import { Partitioners, type Producer } from 'kafkajs';
import { kafkaClient, type KafkaSettings } from './kafka-client.ts';
import type { ProducerReply, ProducerRequest } from './threaded-producer.ts';

const settings = workerData as KafkaSettings;
const port = parentPort!;
let producer: Producer | undefined;

const handle = async (request: ProducerRequest): Promise<void> => {
  switch (request.kind) {
    case 'connect':
      producer = kafkaClient(settings, 'relay').producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 4 },
      });
      await producer.connect();
      return;
    case 'send':
      if (!producer) throw new Error('the producer is not connected');
      await producer.sendBatch({
        acks: -1,
        timeout: request.timeoutMs,
        topicMessages: request.topicMessages,
      });
      return;
    case 'disconnect':
      await producer?.disconnect();
      producer = undefined;
      return;
  }
};

port.on('message', (request: ProducerRequest) => {
  handle(request).then(
    () => port.postMessage({ id: request.id, ok: true } satisfies ProducerReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        error: (error as Error).message ?? String(error),
      } satisfies ProducerReply),
  );
});
