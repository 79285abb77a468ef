export { registerBusinessMetrics } from './metrics.ts';
export { businessMetricsProjection } from './projection.ts';
export * from './queries.ts';
