import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestLatency } from '../../src/api/request-latency.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

const NAME = 'http_request_duration_seconds';
// Below, on and between the bounds, and above the last one.
const SECONDS = [0, 0.0004, 0.001, 0.0011, 0.0025, 0.003, 0.01, 0.2, 0.25, 1, 2.5, 2.6, 40];

/** The platform's metrics with RequestLatency in place, and prom-client's own histogram beside them. */
async function twins() {
  const metrics = createMetrics();
  const latency = await RequestLatency.replacing(metrics.httpRequestDuration, metrics.registry);
  const reference = new Registry();
  const histogram = new Histogram({
    name: NAME,
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [reference],
  });
  const observeBoth = (method: string, route: string, status: string, seconds: number) => {
    latency.series(method, route, status).observe(seconds);
    histogram.labels(method, route, status).observe(seconds);
  };
  return { metrics, latency, reference, observeBoth };
}

describe('request latency', () => {
  it('exports exactly what prom-client exports for the same observations', async () => {
    const { metrics, reference, observeBoth } = await twins();
    for (const seconds of SECONDS) {
      observeBoth('GET', '/products/:sku', '200', seconds);
      observeBoth('GET', '/products/:sku', '404', seconds / 2);
      observeBoth('POST', '/checkout', '202', seconds * 3);
    }
    const text = await metrics.registry.getSingleMetricAsString(NAME);
    expect(text).toContain('route="/products/:sku",status="404"');
    expect(text).toBe(await reference.getSingleMetricAsString(NAME));
    const json = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === NAME);
    expect(json).toEqual((await reference.getMetricsAsJSON()).find((m) => m.name === NAME));
    expect(await metrics.registry.metrics()).toContain(text);
  });

  it('takes the place of the histogram once per registry, and keeps observing after a reset', async () => {
    const { metrics, latency, observeBoth } = await twins();
    expect(await RequestLatency.replacing(metrics.httpRequestDuration, metrics.registry)).toBe(latency);
    expect(metrics.registry.getSingleMetric(NAME)).toBe(latency);
    const series = latency.series('GET', '/health', '200');
    expect(latency.series('GET', '/health', '200')).toBe(series);
    observeBoth('GET', '/health', '200', 0.002);
    metrics.registry.resetMetrics();
    expect(await metrics.registry.getSingleMetricAsString(NAME)).toContain(
      'http_request_duration_seconds_count{method="GET",route="/health",status="200"} 0',
    );
    series.observe(0.002);
    expect(await metrics.registry.getSingleMetricAsString(NAME)).toContain(
      'http_request_duration_seconds_count{method="GET",route="/health",status="200"} 1',
    );
  });
});
