/**
 * A platform process's Prometheus text. The processes a benchmark starts inherit its environment:
 * with METRICS_TOKEN set they ask for it, so it is sent; without, they serve the loopback address,
 * where they listen.
 */
export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const token = process.env.METRICS_TOKEN;
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok)
    throw new Error(`${baseUrl}/metrics answered ${response.status}: ${await response.text()}`);
  return response.text();
}

/** A platform process's resident memory in MiB (`process_resident_memory_bytes` in its /metrics). */
export async function residentMiB(baseUrl: string): Promise<number> {
  const text = await scrapeMetrics(baseUrl);
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? 0) / 2 ** 20;
}

/**
 * Samples the resident memory of the platform processes at `baseUrls` every `everyMs` from now on;
 * `stop()` resolves with the highest any one of them reported, in MiB (a failed scrape counts as none).
 */
export function sampleRss(baseUrls: readonly string[], everyMs = 500): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      for (const url of baseUrls) peak = Math.max(peak, await residentMiB(url).catch(() => 0));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      for (const url of baseUrls) peak = Math.max(peak, await residentMiB(url).catch(() => 0));
      return Math.round(peak);
    },
  };
}
