import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

/** zxcvbn's score: 3 means "safely unguessable: moderate protection from an offline attack" (about 10^8 guesses). */
const MIN_SCORE = 3;

const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
  // The estimate runs on the event loop and grows with the length and the l33t substitutions tried:
  // past 32 characters a password only gets stronger, and 10 substitutions still catch `p4ssw0rd`.
  maxLength: 32,
  l33tMaxSubstitutions: 10,
});

/**
 * Why a new password is too easy to guess, or undefined if it is not: common passwords, words,
 * names, keyboard walks, sequences, dates and repeats (zxcvbn), and anything built from the
 * account's own email.
 */
export function weakPasswordReason(password: string, email: string): string | undefined {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  const result = estimator.check(password, [email.toLowerCase(), local, ...domain.split('.')]);
  if (result.score >= MIN_SCORE) return undefined;
  return result.feedback.warning ?? 'is too easy to guess: add more words or characters';
}
