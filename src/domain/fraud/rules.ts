/**
 * Fraud velocity rules: pure functions of what the read models know of a customer up to an order
 * (`CustomerFacts`) and the policy in force. No I/O, no clock: the facts arrive already counted.
 */

/** The rules, in the order they are named when two of the same severity fire. */
export const FRAUD_RULES = [
  'declines_per_customer',
  'orders_per_customer',
  'orders_per_address',
  'payment_methods_per_customer',
  'new_account_amount',
] as const;
export type FraudRule = (typeof FRAUD_RULES)[number];

export const FRAUD_DECISIONS = ['allow', 'review', 'block'] as const;
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

/** What a rule that fires does to the order: hold it for an admin, or refuse it. */
export type FraudAction = Exclude<FraudDecision, 'allow'>;

/** `enforce`: decisions act; `shadow`: decisions are recorded, the order goes on as allowed; `off`: no check. */
export type FraudMode = 'enforce' | 'shadow' | 'off';

/** A rule fires once its measure reaches `limit`. */
export type RuleLimit = Readonly<{ limit: number; action: FraudAction }>;

/** The rules in force (a rule left out never fires) and whether their decisions act. */
export type FraudPolicy = Readonly<{
  mode: Exclude<FraudMode, 'off'>;
  rules: Readonly<Partial<Record<FraudRule, RuleLimit>>>;
}>;

/**
 * What the read models know of the order's customer, counted from every event before the order (and
 * any recorded since): the measures the rules compare with their limits.
 */
export type CustomerFacts = Readonly<{
  /** Failed authorizations of the customer's orders in the 10 minutes before the order, or since. */
  declinesLast10Minutes: number;
  /** The customer's orders placed in the hour before this one. */
  ordersLastHour: number;
  /** Orders placed from the same client address in the hour before this one; null: no address known. */
  ordersFromAddressLastHour: number | null;
  /** Distinct payment methods of the customer's orders in the last day, this order's included. */
  paymentMethodsLastDay: number;
  /** The customer's confirmed orders before this one: none makes a new account. */
  confirmedOrders: number;
  /** This order's total, in minor units. */
  orderAmount: number;
}>;

/** A rule that fired, and what it asks for. */
export type FiredRule = Readonly<{ rule: FraudRule; action: FraudAction }>;

/** The rules' answer: the most severe action asked for, by the first rule that asked for it. */
export type Verdict = Readonly<{
  decision: FraudDecision;
  rule: FraudRule | null;
  fired: readonly FiredRule[];
}>;

/** Each rule's measure of the facts (null: nothing to measure). */
const MEASURES: Readonly<Record<FraudRule, (facts: CustomerFacts) => number | null>> = {
  declines_per_customer: (f) => f.declinesLast10Minutes,
  orders_per_customer: (f) => f.ordersLastHour,
  orders_per_address: (f) => f.ordersFromAddressLastHour,
  payment_methods_per_customer: (f) => f.paymentMethodsLastDay,
  // A customer who has bought before is not new: only a first purchase is measured by its amount.
  new_account_amount: (f) => (f.confirmedOrders === 0 ? f.orderAmount : null),
};

const SEVERITY: Readonly<Record<FraudDecision, number>> = { allow: 0, review: 1, block: 2 };

/** Every rule of the policy measured against the facts; the verdict is the most severe action asked. */
export function screen(facts: CustomerFacts, policy: FraudPolicy): Verdict {
  const fired: FiredRule[] = [];
  for (const rule of FRAUD_RULES) {
    const limit = policy.rules[rule];
    const measure = MEASURES[rule](facts);
    if (limit && limit.limit > 0 && measure !== null && measure >= limit.limit)
      fired.push({ rule, action: limit.action });
  }
  let verdict: Verdict = { decision: 'allow', rule: null, fired };
  for (const { rule, action } of fired)
    if (SEVERITY[action] > SEVERITY[verdict.decision]) verdict = { decision: action, rule, fired };
  return verdict;
}

/** The measures recorded with a decision, for the admin who reviews it and the auditor who reads it. */
export const measuresOf = (facts: CustomerFacts): Readonly<Record<string, number | null>> => ({
  declinesLast10Minutes: facts.declinesLast10Minutes,
  ordersLastHour: facts.ordersLastHour,
  ordersFromAddressLastHour: facts.ordersFromAddressLastHour,
  paymentMethodsLastDay: facts.paymentMethodsLastDay,
  confirmedOrders: facts.confirmedOrders,
  orderAmount: facts.orderAmount,
});
