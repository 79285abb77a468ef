import type { Answer, SeenRequest } from './stripe-proxy.ts';

/**
 * stripe-mock answers every PaymentIntent with one canned fixture (status `requires_payment_method`),
 * whatever the card: it checks requests against Stripe's OpenAPI spec but models no outcome. This
 * rewrite of its answers gives a confirmed intent the outcome Stripe's test mode documents for the
 * test payment methods (docs.stripe.com/testing, "Declined payments"): brand cards are held
 * (`requires_capture`), decline cards fail with a 402 card error. So the shared contract drives the
 * adapter's approval and decline mapping through the real SDK and HTTP. Other ids are left as stripe-mock said.
 */
const DECLINES: Readonly<Record<string, { code: string; decline_code?: string }>> = {
  pm_card_chargeDeclined: { code: 'card_declined', decline_code: 'generic_decline' },
  pm_card_visa_chargeDeclined: { code: 'card_declined', decline_code: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: { code: 'card_declined', decline_code: 'insufficient_funds' },
  pm_card_chargeDeclinedLostCard: { code: 'card_declined', decline_code: 'lost_card' },
  pm_card_chargeDeclinedExpiredCard: { code: 'expired_card' },
};

const BRAND_CARD = /^pm_card_[a-z]+(?:_[a-z]+)*$/;

export function stripeTestModeOutcomes(request: SeenRequest, answer: Answer): Answer {
  const confirmedCreate =
    request.method === 'POST' &&
    request.path === '/v1/payment_intents' &&
    request.form.get('confirm') === 'true';
  if (!confirmedCreate || answer.status !== 200) return answer;
  const paymentMethod = request.form.get('payment_method') ?? '';
  const intent = { ...answer.body, metadata: metadataOf(request.form) };
  const decline = DECLINES[paymentMethod];
  if (decline) {
    const lastPaymentError = { type: 'card_error', message: 'Your card was declined.', ...decline };
    return {
      status: 402,
      body: {
        error: {
          ...lastPaymentError,
          payment_intent: {
            ...intent,
            status: 'requires_payment_method',
            last_payment_error: lastPaymentError,
          },
        },
      },
    };
  }
  if (BRAND_CARD.test(paymentMethod)) {
    return {
      status: 200,
      body: {
        ...intent,
        status: 'requires_capture',
        amount_capturable: Number(request.form.get('amount')),
        last_payment_error: null,
      },
    };
  }
  return answer;
}

function metadataOf(form: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of form) {
    const key = /^metadata\[(.+)\]$/.exec(name)?.[1];
    if (key) metadata[key] = value;
  }
  return metadata;
}
