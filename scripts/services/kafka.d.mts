// Types for scripts/services/kafka.mjs, which TypeScript tests import to run brokers of their own.
export declare const KAFKA_VERSION: string;
export type KafkaInstance = { port?: number; controllerPort?: number; timeoutMs?: number };
export declare function up(options?: KafkaInstance): Promise<{ KAFKA_BROKERS: string }>;
export declare function down(options?: {
  port?: number;
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}): Promise<void>;
export declare function remove(options: { port: number }): void;
