import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { RecordedEvent } from './event-store.ts';

/** The hash a stream's first event chains from. */
export const GENESIS_HASH = '0'.repeat(64);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Canonical JSON (RFC 8785): one spelling per value, whatever the key order. Throws on NaN, Infinity, cycles. */
export const canonicalJson = (value: unknown): string => {
  const json = canonicalize(value);
  if (json === undefined) throw new Error('not a JSON value');
  return json;
};

type HashedContent = {
  eventId: string;
  streamId: string;
  type: string;
  schemaVersion: number;
  dataJson: string;
  metadataJson: string;
};

/**
 * sha256 of the canonical JSON of {data, eventId, metadata, schemaVersion, streamId, type}: the keys
 * are written in canonical (sorted) order around data and metadata already in canonical form.
 */
export const contentHash = (c: HashedContent): string =>
  sha256(
    `{"data":${c.dataJson},"eventId":${JSON.stringify(c.eventId)},"metadata":${c.metadataJson},` +
      `"schemaVersion":${c.schemaVersion},"streamId":${JSON.stringify(c.streamId)},"type":${JSON.stringify(c.type)}}`,
  );

/** The content hash of a stored event, recomputed from what is stored. */
export const contentHashOf = (event: RecordedEvent) =>
  contentHash({ ...event, dataJson: canonicalJson(event.data), metadataJson: canonicalJson(event.metadata) });

/** Each event's hash covers the previous hash, its version and its content (the database computes the same). */
export const chainHash = (prevHash: string, streamVersion: number, content: string): string =>
  sha256(`${prevHash}:${streamVersion}:${content}`);

export type ChainVerification = Readonly<{
  valid: boolean;
  events: number;
  brokenAt?: number;
  problem?: string;
}>;

/**
 * Recomputes a stream's hash chain from its stored events (read forward from version 1). Any edit to
 * an event's content, a removed or reordered event, or a rewritten hash breaks the chain at the first
 * version concerned.
 */
export function verifyChain(events: readonly RecordedEvent[]): ChainVerification {
  let prev = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const version = index + 1;
    const broken = (problem: string) => ({ valid: false, events: events.length, brokenAt: version, problem });
    if (event.streamVersion !== version)
      return broken(`expected version ${version}, found ${event.streamVersion}`);
    if (event.prevHash !== prev) return broken('previous hash does not match the hash of the event before');
    if (event.hash !== chainHash(prev, version, contentHashOf(event)))
      return broken('content does not match its hash');
    prev = event.hash;
  }
  return { valid: true, events: events.length };
}
