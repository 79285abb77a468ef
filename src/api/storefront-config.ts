import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export type StorefrontConfigDependencies = Readonly<{
  gateway: 'simulated' | 'stripe';
  /** Only published when payments go to Stripe: the pages then load Stripe.js with it. */
  stripePublishableKey?: string | undefined;
  /** Stripe in test mode (a `sk_test_` key): Stripe's own test payment method ids work there. */
  stripeTestMode?: boolean;
  currency: string;
  returnWindowDays: number;
}>;

const paymentMethod = z.object({
  id: z.string().describe('what to send as `paymentMethod` to POST /checkout'),
  label: z.string(),
  outcome: z.enum(['approved', 'declined', 'approved_late']).describe('what the gateway answers'),
});

/**
 * Stripe's test ids as the simulated gateway answers them (src/payments/simulated-gateway.ts): a card
 * that is approved, one that is declined, and a gateway that answers late but approves.
 */
export const SIMULATED_PAYMENT_METHODS: readonly z.infer<typeof paymentMethod>[] = [
  { id: 'pm_card_visa', label: 'Test card: Visa, approved', outcome: 'approved' },
  { id: 'pm_card_chargeDeclined', label: 'Test card: declined', outcome: 'declined' },
  { id: 'pm_sim_slow', label: 'Test card: slow gateway, approved late', outcome: 'approved_late' },
];

/** Stripe's test payment methods (https://docs.stripe.com/testing), which Stripe's test mode takes as they are. */
export const STRIPE_TEST_PAYMENT_METHODS: readonly z.infer<typeof paymentMethod>[] = [
  { id: 'pm_card_visa', label: 'Stripe test card: Visa, approved', outcome: 'approved' },
  { id: 'pm_card_chargeDeclined', label: 'Stripe test card: declined', outcome: 'declined' },
];

const storefrontConfig = z.object({
  gateway: z.enum(['simulated', 'stripe']),
  stripePublishableKey: z.string().optional(),
  paymentMethods: z.array(paymentMethod),
  currency: z.string(),
  returnWindowDays: z.int(),
});

/** What a page needs to start; the same for everyone, and the same until the platform restarts. */
export const CONFIG_MAX_AGE_SECONDS = 60;

/** GET /storefront/config: the payment gateway and its methods, the currency, the return window. */
export const storefrontConfigRoutes: FastifyPluginAsync<{
  storefront: StorefrontConfigDependencies;
}> = async (app, { storefront }) => {
  const answer: z.infer<typeof storefrontConfig> = {
    gateway: storefront.gateway,
    ...(storefront.gateway === 'stripe' && storefront.stripePublishableKey
      ? { stripePublishableKey: storefront.stripePublishableKey }
      : {}),
    // On Stripe in live mode a card is collected with Stripe.js (not built yet): no ids to choose from.
    paymentMethods:
      storefront.gateway === 'simulated'
        ? [...SIMULATED_PAYMENT_METHODS]
        : storefront.stripeTestMode
          ? [...STRIPE_TEST_PAYMENT_METHODS]
          : [],
    currency: storefront.currency,
    returnWindowDays: storefront.returnWindowDays,
  };

  app.withTypeProvider<ZodTypeProvider>().get(
    '/storefront/config',
    {
      schema: {
        tags: ['storefront'],
        description:
          'What a storefront page needs to start: the payment gateway (`simulated` or `stripe`), on ' +
          'Stripe its publishable key when configured, on the simulated gateway and Stripe in test mode ' +
          'the test payment methods and what each answers, the currency and the return window in days. Anyone may ' +
          `read it; it may be cached for ${CONFIG_MAX_AGE_SECONDS} s.`,
        response: { 200: storefrontConfig },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', `public, max-age=${CONFIG_MAX_AGE_SECONDS}`);
      return answer;
    },
  );
};
