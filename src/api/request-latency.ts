import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

type Label = 'method' | 'route' | 'status';
type Exported = Awaited<ReturnType<Histogram<Label>['get']>>;

/** One (method, route, status): how many requests ended in each bucket (not cumulative), their sum. */
export class LatencySeries {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly labels: Readonly<Record<Label, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /**
   * As prom-client exports a histogram for the text format: cumulative buckets (`le`), +Inf, sum and
   * count, the series' labels beside them as shared labels.
   */
  exported(name: string): PromValue[] {
    let cumulative = 0;
    const sharedLabels = this.labels;
    return [
      ...this.bounds.map((le, i) => ({
        labels: { le },
        sharedLabels,
        value: (cumulative += this.counts[i]!),
        metricName: `${name}_bucket`,
        exemplar: null,
      })),
      {
        labels: { le: '+Inf' },
        sharedLabels,
        value: this.count,
        metricName: `${name}_bucket`,
        exemplar: null,
      },
      { labels: {}, sharedLabels, value: this.sum, metricName: `${name}_sum` },
      { labels: {}, sharedLabels, value: this.count, metricName: `${name}_count` },
    ];
  }
}

type PromValue = {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<Label, string>>;
  value: number;
  metricName: string;
  exemplar?: null;
};

/**
 * Request latency, in the registry's histogram of that name (same name, help, labels and buckets),
 * observed by a few array writes: prom-client's own observe (a labels object, a hash string and
 * float-keyed lookups each time) was 5% of a cached product page's CPU in the API process (perf).
 * This histogram takes the registry place of the one it is made from, and exports what it observed
 * exactly as prom-client exports a histogram.
 */
export class RequestLatency extends Histogram<Label> {
  private readonly all = new Map<string, LatencySeries>();

  private constructor(
    private readonly exportedAs: { name: string; help: string },
    private readonly bounds: readonly number[],
  ) {
    super({ ...exportedAs, labelNames: ['method', 'route', 'status'], buckets: [...bounds], registers: [] });
  }

  /** Replaces `histogram` in `registry` (once per registry: a second server of the platform shares it). */
  static async replacing(histogram: Histogram<Label>, registry: Registry): Promise<RequestLatency> {
    const current = registry.getSingleMetric((await histogram.get()).name);
    if (current instanceof RequestLatency) return current;
    // Its buckets, through prom-client's public API: a zeroed series lists every bucket bound.
    const probe = { method: '', route: '', status: '' };
    histogram.zero(probe);
    const exported = await histogram.get();
    histogram.remove(probe);
    const bounds = exported.values
      .map((v) => ({ ...v, le: (v.labels as Record<string, unknown>).le }))
      .filter((v) => v.metricName === `${exported.name}_bucket` && v.le !== '+Inf')
      .map((v) => Number(v.le));
    const latency = new RequestLatency({ name: exported.name, help: exported.help }, bounds);
    registry.removeSingleMetric(exported.name);
    registry.registerMetric(latency);
    return latency;
  }

  series(method: string, route: string, status: string): LatencySeries {
    const key = `${method} ${route} ${status}`;
    let series = this.all.get(key);
    if (!series) this.all.set(key, (series = new LatencySeries({ method, route, status }, this.bounds)));
    return series;
  }

  /** What the registry writes in the text format (prom-client asks a histogram for this, not `get`). */
  async getForPromString(): Promise<Omit<Exported, 'values' | 'collect'> & { values: PromValue[] }> {
    const { name, help } = this.exportedAs;
    return {
      name,
      help,
      type: 'histogram' as unknown as Exported['type'],
      aggregator: 'sum',
      values: [...this.all.values()].flatMap((series) => series.exported(name)),
    };
  }

  /** As JSON (`getMetricsAsJSON`): the series' labels after `le`, as prom-client's histogram gives them. */
  override async get(): Promise<Exported> {
    const { values, ...exported } = await this.getForPromString();
    return {
      ...exported,
      values: values.map(({ labels, sharedLabels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      })),
    } as Exported;
  }

  /** Zeroes every series in place: the routes' hooks keep observing into them. */
  override reset(): void {
    super.reset();
    // (prom-client resets a new metric from its constructor, before this class has set its fields.)
    for (const series of this.all?.values() ?? []) series.reset();
  }
}

/**
 * Observes every request's latency by (method, route, status). Each route gets an onResponse hook of
 * its own that knows its method and URL, so a request costs a lookup by status and a few array writes
 * (not `request.routeOptions`, which Fastify builds afresh on each read, nor a string key); requests
 * no route matched are observed by one global hook, under `unmatched`.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** An answer that stays open (a stream of events): its lifetime is no request latency, so it is not observed. */
    longLived?: boolean;
  }
}

export function recordRequestLatency(app: FastifyInstance, latency: RequestLatency): void {
  const observer = (route: string, method?: string) => {
    // A route of one method: by status alone; of several (or none matched): by method and status.
    const byStatus = new Map<number | string, LatencySeries>();
    return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const status = reply.statusCode;
      const key = method ? status : `${request.method} ${status}`;
      let series = byStatus.get(key);
      if (!series)
        byStatus.set(key, (series = latency.series(method ?? request.method, route, String(status))));
      series.observe(reply.elapsedTime / 1000);
      done();
    };
  };
  const unmatched = observer('unmatched');
  app.addHook('onResponse', (request, reply, done) =>
    request.is404 ? unmatched(request, reply, done) : done(),
  );
  app.addHook('onRoute', (route) => {
    if (route.config?.longLived) return;
    const own = observer(route.url, typeof route.method === 'string' ? route.method : undefined);
    route.onResponse = [...[route.onResponse ?? []].flat(), own] as typeof route.onResponse;
  });
}
