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
