import http from 'node:http';

// The load generator shares the two cores with the platform, so its requests should cost it little:
// node:http over kept-alive connections is much cheaper than fetch (docs/PERFORMANCE.md, Method).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** POSTs JSON; resolves with the parsed answer, rejects on a status of 400 or more. */
export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          if ((response.statusCode ?? 500) >= 400)
            reject(new Error(`${url} answered ${response.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
