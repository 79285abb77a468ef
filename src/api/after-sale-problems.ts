import type { DomainError } from '../domain/decider.ts';
import { domainProblem, HttpProblem } from './problem.ts';

/**
 * How the refusals after the sale read over HTTP: a shipment, return or refund that does not exist is
 * 404, a return after its window 422, an Idempotency-Key sent again with another body 422, and every
 * other broken rule (more than ordered, delivered or paid; the wrong status) a 409 conflict.
 */
const STATUS: Readonly<Record<string, number>> = {
  ShipmentNotFound: 404,
  ReturnNotFound: 404,
  RefundNotFound: 404,
  ReturnWindowClosed: 422,
};

const REUSED_KEY = new Set(['ShipmentIdReused', 'ReturnIdReused', 'RefundIdReused']);

export function afterSaleProblem(error: DomainError): HttpProblem {
  if (REUSED_KEY.has(error.code))
    return new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', error.message, {
      code: error.code,
    });
  const status = STATUS[error.code];
  if (status === undefined) return domainProblem(error);
  const problem = domainProblem(error);
  return new HttpProblem(status, problem.slug, problem.title, problem.detail, problem.extensions);
}

/** The `Idempotency-Key` header of a request that creates something (as checkout's). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\w.:-]+$/;
