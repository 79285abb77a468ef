/**
 * PCI DSS SAQ-A: card data never touches our servers, only gateway tokens such as `pm_card_visa`.
 * Anything holding 13 to 19 digits in a row (spaces or dashes between them allowed) looks like a
 * card number and is refused before it can reach an event, a log or an error message.
 */
const cardNumberLike = /(?:\d[ -]?){12,18}\d/;

export const looksLikeCardNumber = (value: unknown): boolean =>
  typeof value === 'string' && cardNumberLike.test(value);
