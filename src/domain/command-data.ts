import { z } from 'zod';
import type { DomainError } from './decider.ts';

/**
 * JavaScript's `\s` and the line ends its `.` stops at, spelled out: these patterns are also shown in the
 * API's OpenAPI document, whose other readers (Python's `re`, Rust's `regex`) read `\s`, `\S` and `.`
 * differently.
 */
const SPACE = '\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const LINE_END = '\\n\\r\\u2028\\u2029';
/** Some character that is not white space (`\S`). */
export const NOT_BLANK = new RegExp(`[^${SPACE}]`);
/** Non-empty, no white space around it, no line end in it (`^\S(?:.*\S)?$`). */
export const ID_PATTERN = new RegExp(`^[^${SPACE}](?:[^${LINE_END}]*[^${SPACE}])?$`);

/** Ids and SKUs: non-empty, no surrounding whitespace, so two spellings never name two streams. */
export const id = z.string().max(200).regex(ID_PATTERN, 'must be a non-empty id without surrounding spaces');
export const quantity = z.int().positive();
export const instant = z.iso.datetime({ offset: true });
export const reason = z.string().max(500).regex(NOT_BLANK, 'must not be blank');

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
