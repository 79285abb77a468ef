import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one process; `/metrics` serves `registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    appendConflicts: new Counter({
      name: 'eventstore_append_conflicts_total',
      help: 'Appends refused because another writer changed the stream first',
      labelNames: ['category'] as const,
      registers: [registry],
    }),
    commandRetries: new Counter({
      name: 'command_retries_total',
      help: 'Commands decided again after a version conflict',
      labelNames: ['category'] as const,
      registers: [registry],
    }),
    sagaSteps: new Counter({
      name: 'checkout_saga_steps_total',
      help: 'Checkout saga steps by outcome',
      labelNames: ['step', 'outcome'] as const,
      registers: [registry],
    }),
    paymentGatewayDuration: new Histogram({
      name: 'payment_gateway_duration_seconds',
      help: 'Payment gateway call latency by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
