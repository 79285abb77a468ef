import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newEventId } from '../../src/eventstore/event-ids.ts';

describe('event ids', () => {
  it('are UUIDv7s, all different, in the order they were made (many within one millisecond)', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    const after = Date.now();
    expect(ids.every((id) => validate(id) && version(id) === 7)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the time the id was made.
    const msecs = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(msecs(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(msecs(ids.at(-1)!)).toBeLessThanOrEqual(after + 1);
  });
});
