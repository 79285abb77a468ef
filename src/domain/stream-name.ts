/** Names the streams of one aggregate: `<category>-<id>`, as the event store's categories expect. */
export type StreamName = Readonly<{
  category: string;
  id(key: string): string;
  /** The key a stream id was made from (`order-42` -> `42`); undefined for another category's stream. */
  keyOf(streamId: string): string | undefined;
}>;

export function streamName(category: string): StreamName {
  const prefix = `${category}-`;
  return {
    category,
    id: (key) => prefix + key,
    keyOf: (streamId) => (streamId.startsWith(prefix) ? streamId.slice(prefix.length) : undefined),
  };
}
