import { isLeft } from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';
import {
  fold,
  type Decider,
  type DomainCommand,
  type DomainError,
  type DomainEvent,
} from '../../src/domain/decider.ts';

/**
 * given(events).when(command).then(expectedEvents) | .thenFails(code)
 * Reads as a specification of one decider.
 */
export const specification =
  <C extends DomainCommand, E extends DomainEvent, S, Err extends DomainError>(
    decider: Decider<C, E, S, Err>,
  ) =>
  (history: readonly E[] = []) => ({
    when: (command: C) => {
      const result = decider.decide(command, fold(decider, history));
      return {
        then(expected: readonly E[]) {
          if (isLeft(result))
            throw new Error(`expected events, got domain error ${result.left.code}: ${result.left.message}`);
          expect(result.right).toEqual(expected);
        },
        thenNothingHappens() {
          if (isLeft(result)) throw new Error(`expected no events, got domain error ${result.left.code}`);
          expect(result.right).toEqual([]);
        },
        thenFails(code: Err['code']) {
          if (!isLeft(result))
            throw new Error(`expected ${code}, got events ${JSON.stringify(result.right)}`);
          expect(result.left.code).toBe(code);
        },
      };
    },
  });
