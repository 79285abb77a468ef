import { z } from 'zod';
import type { DomainError } from './decider.ts';

/** Ids and SKUs: non-empty, no surrounding whitespace, so two spellings never name two streams. */
export const id = z
  .string()
  .max(200)
  .regex(/^\S(?:.*\S)?$/, 'must be a non-empty id without surrounding spaces');
export const quantity = z.int().positive();
export const instant = z.iso.datetime({ offset: true });
export const reason = z.string().max(500).regex(/\S/, 'must not be blank');

/**
 * The error every decider answers for command data that does not parse. It names the fields that
 * failed, never their values (a value could be card data we must not log).
 */
export const invalidCommandData = (error: z.ZodError): DomainError<'InvalidCommandData'> => {
  const fields = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    problem: issue.message,
  }));
  return {
    code: 'InvalidCommandData',
    message: `invalid command data: ${fields.map((f) => f.field).join(', ')}`,
    details: { fields },
  };
};
