/**
 * PCI DSS SAQ-A: card data never touches our servers, only gateway tokens. A payment method is
 * accepted by its shape (an allowlist), not by failing to look like a card number: every way of
 * writing digits (dots, slashes, full-width digits, ...) is refused before it reaches an event, a
 * log or an error message.
 *
 * Accepted: Stripe's ids (`pm_…`, `tok_…`, `card_…`: ASCII letters and digits, parts joined by `_`)
 * and the simulated gateway's test ids, which share that shape (`pm_card_visa`, `pm_sim_slow`). A
 * token with a card number's run of digits inside (`pm_4111111111111111`, `tok_4111_1111_…`) is
 * still card data.
 *
 * The look-ahead scans `[A-Za-z0-9_]*`, the only characters a token can hold, rather than `.*`: the same
 * here, and read alike by every engine reading the API's OpenAPI document (their `.` differ).
 */
export const GATEWAY_TOKEN_PATTERN =
  /^(?![A-Za-z0-9_]*(?:\d_?){12}\d)(?:pm|tok|card)_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/;

export const MAX_PAYMENT_METHOD_LENGTH = 200;

export const isGatewayToken = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_PAYMENT_METHOD_LENGTH && GATEWAY_TOKEN_PATTERN.test(value);

export const PAYMENT_METHOD_RULE =
  'paymentMethod must be a gateway token (pm_…, tok_… or card_…), never card data';
