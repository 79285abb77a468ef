import type { onRequestAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { fold, type Decider, type DomainCommand, type DomainEvent } from '../domain/decider.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import type { Role } from '../identity/users.ts';
import { requireRole } from './auth.ts';

/**
 * `?asOf=<ISO 8601 instant>`: the state as it was recorded at that moment, folded from the stream's
 * events recorded up to it (inclusive). A time in the future is refused (400): the past is the only
 * thing the log can answer for, and a clock ahead of ours must not pass for "now".
 */
export const asOfQuery = z.strictObject({
  asOf: z.iso
    .datetime({ offset: true })
    .refine((time) => Date.parse(time) <= Date.now(), 'must not be in the future')
    .optional()
    .describe('ISO 8601 instant, e.g. 2026-11-25T12:00:00Z: answer as recorded at that moment'),
});

/**
 * For a route whose present state is public but whose past is not: with `asOf` in the query, only
 * these roles (401 without a token, 403 for another role), checked before the query is validated.
 */
export const asOfOnlyFor = (...roles: Role[]): onRequestAsyncHookHandler => {
  const allowed = requireRole(...roles);
  return async function (request, reply) {
    const query = request.query as Record<string, unknown> | undefined;
    if (query && Object.hasOwn(query, 'asOf')) await allowed.call(this, request, reply);
  };
};

/** A stream's state as of `asOf`, and how many of its events it folds (0: the stream did not exist yet). */
export async function stateAsOf<E extends DomainEvent, S>(
  store: Pick<EventStore, 'readStream'>,
  decider: Pick<Decider<DomainCommand, E, S>, 'evolve' | 'initialState'>,
  streamId: string,
  asOf: string,
): Promise<{ state: S; events: number }> {
  const until = Date.parse(asOf);
  const recorded = (await store.readStream(streamId)).filter((e) => Date.parse(e.recordedAt) <= until);
  const events = recorded.map((e) => ({ type: e.type, data: e.data }) as E);
  return { state: fold(decider, events), events: events.length };
}

/** Whether the stream had its first event recorded by `asOf`. */
export async function existedAt(
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
  asOf: string,
): Promise<boolean> {
  const [first] = await store.readStream(streamId, { maxCount: 1 });
  return first !== undefined && Date.parse(first.recordedAt) <= Date.parse(asOf);
}
