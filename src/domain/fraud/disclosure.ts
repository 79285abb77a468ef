/**
 * What a customer may read of their own order's events. Which rule fired, what it measured and what a
 * shadow decision would have done are for admins and auditors: a card tester told which limit stopped
 * them would stay under it next time. The status (`review`, `cancelled` for `fraud_suspected`) is
 * the customer's to know; the reasons behind it are not.
 */

/** Per event type, the data fields a customer reads; types not listed are read whole. */
const CUSTOMER_FIELDS: Readonly<Record<string, readonly string[]>> = {
  OrderScreened: ['orderId', 'at'],
  OrderReviewed: ['orderId', 'at'],
};

/** Fields of any event that are never shown to a customer. */
const NEVER_TO_CUSTOMERS: readonly string[] = ['clientKey'];

/** The event's data as its customer may read it (the same object when nothing is withheld). */
export function customerData(type: string, data: Readonly<Record<string, unknown>>) {
  const kept = CUSTOMER_FIELDS[type];
  const withheld = Object.keys(data).filter(
    (field) => NEVER_TO_CUSTOMERS.includes(field) || (kept !== undefined && !kept.includes(field)),
  );
  if (withheld.length === 0) return data;
  return Object.fromEntries(Object.entries(data).filter(([field]) => !withheld.includes(field)));
}
