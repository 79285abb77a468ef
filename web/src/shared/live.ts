import { authorizationHeader } from './api.ts';

export type LiveMessage = Readonly<{ event: string; data: string; id?: string }>;

/** Splits a `text/event-stream` body into messages (the WHATWG rules: `event:`, `data:`, `id:`, blank line ends one). */
export async function* eventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<LiveMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n'), ...(id === undefined ? {} : { id }) };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = text;
      else if (field === 'data') data.push(text);
      else if (field === 'id') id = text;
    }
  }
}

/**
 * Follows a server-sent event stream with `fetch`, so that the bearer token travels in a header, never
 * in the URL (an `EventSource` cannot send one). Reconnects after a drop (the server ends a stream when
 * the token it was opened with expires) with `Last-Event-ID`, until `signal` aborts.
 */
export async function follow(
  url: string,
  onMessage: (message: LiveMessage) => void,
  signal: AbortSignal,
  onState?: (state: 'open' | 'retrying' | 'refused') => void,
): Promise<void> {
  let lastId: string | undefined;
  let pause = 500;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        ...(await authorizationHeader()),
      };
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const response = await fetch(url, { headers, signal });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        onState?.('refused');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`live stream answered ${response.status}`);
      onState?.('open');
      pause = 500;
      for await (const message of eventStream(response.body)) {
        if (message.id !== undefined) lastId = message.id;
        onMessage(message);
      }
    } catch {
      if (signal.aborted) return;
    }
    onState?.('retrying');
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 10_000);
  }
}
