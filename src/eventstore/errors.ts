import type { ExpectedVersion } from './event-store.ts';

export class EventStoreError extends Error {
  override name = 'EventStoreError';
}

/** Another writer changed the stream since the caller read it. Carries what was expected and what is. */
export class WrongExpectedVersionError extends EventStoreError {
  override name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    readonly actualVersion: number,
  ) {
    super(`stream ${streamId} is at version ${actualVersion}, expected ${String(expectedVersion)}`);
  }
}

export type InvalidAppendReason =
  | 'invalid_stream_id'
  | 'invalid_expected_version'
  | 'no_events'
  | 'unknown_event_type'
  | 'invalid_event'
  | 'event_too_large'
  | 'event_id_reused';

/** The append was refused before anything was written. */
export class InvalidAppendError extends EventStoreError {
  override name = 'InvalidAppendError';
  constructor(
    readonly reason: InvalidAppendReason,
    message: string,
  ) {
    super(message);
  }
}

export class UnknownPositionError extends EventStoreError {
  override name = 'UnknownPositionError';
  constructor(readonly position: number) {
    super(`no event at global position ${position}`);
  }
}
