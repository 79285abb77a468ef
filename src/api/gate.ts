import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GATE_MODES } from '../gate/gate-store.ts';
import type { FlashSaleGate } from '../gate/index.ts';
import { caller, requireRole } from './auth.ts';
import { skuSchema } from './catalog.ts';

const skuParams = z.strictObject({ sku: skuSchema });
const switchBody = z.strictObject({
  mode: z
    .enum(GATE_MODES)
    .describe(
      '`on` or `off`: the admin decides; `auto`: on while the SKU is hot (GATE_HOT_CHECKOUTS_PER_SECOND)',
    ),
});
const instant = z.string().nullable();
const count = z.int().nullable();

const gateView = z
  .object({
    sku: z.string(),
    mode: z.enum(GATE_MODES),
    on: z.boolean().describe('whether checkouts of this SKU are admitted only while something is left'),
    reason: z
      .enum(['switched-on', 'switched-off', 'hot', 'not-hot', 'never-by-itself'])
      .describe('why the gate is on or off'),
    checkoutsPerSecond: z.number().describe('checkouts of this SKU over the last second'),
    hotSince: instant,
    hotUntil: instant.describe('the gate stays on until then if the SKU cools down'),
    switchedBy: z.string().nullable(),
    switchedAt: instant,
    streamVersion: count.describe("the inventory stream's version the counts below are at"),
    onHand: count,
    reserved: count,
    available: count,
    admittedUnreserved: z.int().describe('units admitted whose reservation is not in the counts yet'),
    ordersWaiting: z.int(),
    remaining: count.describe('what the gate may still admit: available minus admitted-unreserved'),
    admitted: z.int().describe('admissions given'),
    refused: z.int().describe('checkouts refused as sold out'),
  })
  .describe("One SKU's flash-sale gate");

export type GateRouteDependencies = Readonly<{
  gate: Pick<FlashSaleGate, 'list' | 'of' | 'switch' | 'rule' | 'where'>;
}>;

/**
 * The flash-sale gate per SKU: admins and auditors read it, admins switch it on, off or back to auto.
 * docs/decisions/0025-flash-sale-gate.md.
 */
export const gateRoutes: FastifyPluginAsync<{ gate: GateRouteDependencies }> = async (
  app,
  { gate: { gate } },
) => {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/admin/gate',
    {
      onRequest: requireRole('admin', 'auditor'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        description:
          'The SKUs whose flash-sale gate was switched by an admin, turned on by itself lately, or holds ' +
          'admissions: on or off and why, the counts it holds, what it admitted and refused.',
        response: {
          200: z.object({
            store: z.enum(['redis', 'in-process']),
            hotCheckoutsPerSecond: z.number().describe('0: the gate turns on only by an admin'),
            hotHoldSeconds: z.number(),
            items: z.array(gateView),
          }),
        },
      },
    },
    async () => ({
      store: gate.where,
      hotCheckoutsPerSecond: gate.rule.checkoutsPerSecond,
      hotHoldSeconds: gate.rule.holdMs / 1000,
      items: await gate.list(),
    }),
  );

  routes.get(
    '/admin/gate/:sku',
    {
      onRequest: requireRole('admin', 'auditor'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        params: skuParams,
        description: "One SKU's flash-sale gate (every SKU has one: off and on auto until it gets hot).",
        response: { 200: gateView },
      },
    },
    async (request) => gate.of(request.params.sku),
  );

  routes.put(
    '/admin/gate/:sku',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        params: skuParams,
        body: switchBody,
        description:
          "Switches one SKU's flash-sale gate on or off, or back to auto; kept in the database, and in " +
          'effect for every API process at once.',
        response: { 200: gateView },
      },
    },
    async (request) => gate.switch(request.params.sku, request.body.mode, caller(request).email),
  );
};
