import type { ComponentChildren } from 'preact';
import { ApiError } from '../shared/api.ts';
import type { Problem } from '../shared/types.ts';

/** Any failure as a problem document: the API's own, a network failure, or a bug (never shown raw). */
export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  return {
    title: 'Something went wrong',
    status: 0,
    detail: 'The page could not finish this. Reload it and try again.',
  };
}

const FIELD_NAMES: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  quantity: 'Quantity',
  reason: 'Reason',
  paymentMethod: 'Payment method',
};

/** `body.password` -> `Password`. */
export function fieldName(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const last = field
    .split('.')
    .filter((part) => !/^\d+$/.test(part) && part !== 'body')
    .at(-1);
  if (!last) return undefined;
  return FIELD_NAMES[last] ?? last.charAt(0).toUpperCase() + last.slice(1);
}

/** A refusal in the shopper's words, for the refusals the storefront knows (the rest keep the API's). */
function reworded(problem: Problem): { title: string; detail?: string } {
  const details = problem.details ?? {};
  switch (problem.code) {
    case 'QuantityUnavailable': {
      const available = Number(details.available ?? 0);
      return available > 0
        ? { title: 'Not enough in stock', detail: `Only ${available} of this item can be in your cart.` }
        : { title: 'Sold out', detail: 'This item is sold out.' };
    }
    case 'QuantityTooLarge':
      return { title: 'Too many', detail: `At most ${String(details.max ?? 1000)} of one item per order.` };
    case 'CartEmpty':
      return { title: 'Your cart is empty', detail: 'Add something to your cart before checking out.' };
  }
  if (problem.status === 0)
    return {
      title: problem.title,
      detail: problem.detail ?? 'Check your connection and try again.',
    };
  if (problem.status === 429)
    return { title: 'Too many attempts', detail: problem.detail ?? 'Please wait a moment and try again.' };
  if (problem.status >= 500)
    return {
      title: 'The shop could not do this just now',
      detail: `${problem.detail ?? problem.title}. Please try again in a moment.`,
    };
  return { title: problem.title, ...(problem.detail ? { detail: problem.detail } : {}) };
}

/**
 * A problem, readably: its title and what went wrong (the fields at fault of a refused form), in an
 * alert that screen readers announce. `children` adds what the shopper can do about it.
 */
export function ProblemAlert({
  error,
  children,
  id,
}: {
  error: unknown;
  children?: ComponentChildren;
  id?: string;
}) {
  const problem = problemOf(error);
  const { title, detail } = reworded(problem);
  const fields = (problem.errors ?? []).filter((e) => e.problem ?? e.message);
  return (
    <div class="alert alert-error" role="alert" id={id}>
      <p class="alert-title">{title}</p>
      {fields.length > 0 ? (
        <ul>
          {fields.map((e, i) => {
            const name = fieldName(e.field);
            return (
              <li key={i}>
                {name ? `${name}: ` : ''}
                {e.problem ?? e.message}
              </li>
            );
          })}
        </ul>
      ) : (
        detail && <p>{sentence(detail)}</p>
      )}
      {children}
    </div>
  );
}

/** `wrong email or password` -> `Wrong email or password.` */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The fields of a refused form: `{Email: "Invalid email address"}`, for each input's own message. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const e of error.problem.errors ?? []) {
    const name = fieldName(e.field);
    if (name && (e.problem ?? e.message)) out[name] ??= (e.problem ?? e.message)!;
  }
  return out;
}
