import type { Either } from 'fp-ts/lib/Either.js';

/** A fact that happened, as the domain sees it (the event store adds the envelope). */
export type DomainEvent<Type extends string = string, Data = unknown> = Readonly<{ type: Type; data: Data }>;

/** An intention. Time and ids arrive inside `data`: the domain has no clock and no randomness. */
export type DomainCommand<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Data;
}>;

/** A rule the command broke, as a value the caller can switch on (never a string to parse). */
export type DomainError<Code extends string = string> = Readonly<{
  code: Code;
  message: string;
  details?: Readonly<Record<string, unknown>>;
}>;

/**
 * One aggregate's pure business logic: `decide` turns a command and the current state into the
 * events to record (or the rule it broke), `evolve` folds one recorded event into the state.
 */
export type Decider<
  C extends DomainCommand,
  E extends DomainEvent,
  S,
  Err extends DomainError = DomainError,
> = {
  decide(command: C, state: S): Either<Err, readonly E[]>;
  evolve(state: S, event: E): S;
  initialState(): S;
};

export const fold = <E extends DomainEvent, S>(
  decider: Pick<Decider<DomainCommand, E, S>, 'evolve' | 'initialState'>,
  events: readonly E[],
): S => events.reduce(decider.evolve, decider.initialState());
