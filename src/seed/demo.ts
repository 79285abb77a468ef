import { isLeft } from 'fp-ts/lib/Either.js';
import { v5 as uuidv5 } from 'uuid';
import { streams } from '../commands/index.ts';
import type { Decider, DomainCommand, DomainEvent } from '../domain/decider.ts';
import { inventoryDecider } from '../domain/inventory/index.ts';
import { productDecider } from '../domain/product/index.ts';
import type { EventMetadata, EventStore, NewEvent } from '../eventstore/event-store.ts';
import type { Users } from '../identity/users.ts';
import { demoCatalog, type DemoProduct } from './demo-catalog.ts';
import { appendNewStreams, type NewStream } from './new-streams.ts';

export const DEMO_USERS = [
  { email: 'admin@demo.local', role: 'admin' },
  { email: 'auditor@demo.local', role: 'auditor' },
  { email: 'customer@demo.local', role: 'customer' },
] as const;

export type DemoSeedResult = {
  /** Streams this run wrote (product listings and stock receipts); 0 when the catalog was there. */
  streamsWritten: number;
  products: number;
  usersCreated: string[];
};

/** Event ids derived from the stream: appending a seed event twice is a no-op, never a duplicate. */
const SEED_NAMESPACE = '6b1f0d52-8f7e-4c1a-9d3e-2a5b7c9e0f14';

/** The seed's events, decided by the same deciders as every other command: the same rules apply. */
function firstEvents<C extends DomainCommand, E extends DomainEvent, S>(
  decider: Decider<C, E, S>,
  stream: string,
  command: C,
  occurredAt: string,
): NewEvent[] {
  const decided = decider.decide(command, decider.initialState());
  if (isLeft(decided)) throw new Error(`demo seed: ${stream}: ${decided.left.message}`);
  const metadata: EventMetadata = {
    correlationId: 'demo-seed',
    causationId: null,
    actor: { id: 'demo-seed', role: 'system' },
    occurredAt,
  };
  return decided.right.map((event, i) => ({
    eventId: uuidv5(`${stream}#${i + 1}`, SEED_NAMESPACE),
    type: event.type,
    data: event.data,
    metadata,
  }));
}

function streamsOf(product: DemoProduct): NewStream[] {
  const { sku, stock, listedAt, ...details } = product;
  const listing = {
    stream: streams.product(sku),
    events: firstEvents(
      productDecider,
      streams.product(sku),
      { type: 'ListProduct', data: { sku, ...details, at: listedAt } },
      listedAt,
    ),
  };
  if (stock === 0) return [listing];
  const stream = streams.inventory(sku);
  const stocking = firstEvents(
    inventoryDecider,
    stream,
    { type: 'ReceiveStock', data: { sku, quantity: stock } },
    listedAt,
  );
  return [listing, { stream, events: stocking }];
}

/**
 * The demo shop: three users (one per role) and a catalog of 1,200 products with stock. Idempotent:
 * the last product is listed only after everything else is in, so once it exists there is nothing
 * to do; an interrupted seed resumes, and its already-appended events are recognised by their ids.
 */
export async function seedDemo(
  platform: { store: EventStore; users: Users },
  options: { password: string },
): Promise<DemoSeedResult> {
  // Password hashing runs on libuv's threads while the catalog is written: start-up pays for one, not both.
  const [usersCreated, streamsWritten] = await Promise.all([
    demoUsers(platform.users, options.password),
    demoCatalogStreams(platform.store),
  ]);
  return { streamsWritten, products: demoCatalog().length, usersCreated };
}

async function demoUsers(users: Users, password: string): Promise<string[]> {
  const created = await Promise.all(
    DEMO_USERS.map(async ({ email, role }) => ((await users.ensure(email, password, role)) ? [email] : [])),
  );
  return created.flat();
}

async function demoCatalogStreams(store: EventStore): Promise<number> {
  const catalog = demoCatalog();
  const lastListing = streams.product(catalog.at(-1)!.sku);
  if ((await store.streamVersion(lastListing)) > 0) return 0;
  const work = catalog.flatMap(streamsOf);
  const [final] = work.splice(
    work.findIndex((w) => w.stream === lastListing),
    1,
  );
  return (await appendNewStreams(store, work)) + (await appendNewStreams(store, [final!]));
}
