import { v7 as uuidv7 } from 'uuid';
import type { EventMetadata, NewEvent } from '../../src/eventstore/event-store.ts';

export const TEST_EVENT_TYPES = ['ThingHappened', 'OtherThingHappened'];

export const testMetadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  correlationId: uuidv7(),
  causationId: null,
  actor: { id: 'test', role: 'system' },
  occurredAt: new Date().toISOString(),
  ...overrides,
});

export const thing = (data: Record<string, unknown> = {}, eventId = uuidv7()): NewEvent => ({
  eventId,
  type: 'ThingHappened',
  data,
  metadata: testMetadata(),
});
