import http from 'node:http';

// Calls over kept-alive connections, for tests and benchmarks that send thousands of requests to a
// platform process of their own (flash sales, spikes): `fetch` costs the caller several times the
// CPU per request, taken from the platform on the same cores.

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

export type Answer = Readonly<{ status: number; body: Record<string, unknown> }>;

/** One HTTP call over the kept-alive agent: its status and parsed body. */
export function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** `task(i)` for i = 0 … count-1, at most `parallel` at a time; the results in order. */
export async function inParallel<T>(count: number, parallel: number, task: (i: number) => Promise<T>) {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, parallel) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}
