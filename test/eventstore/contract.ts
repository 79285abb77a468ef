import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidAppendError,
  UnknownPositionError,
  WrongExpectedVersionError,
} from '../../src/eventstore/errors.ts';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/eventstore/event-store.ts';
import { verifyChain } from '../../src/eventstore/hash-chain.ts';
import { thing } from '../support/events.ts';

export type ContractSubject = { store: EventStore; dispose(): Promise<void> };

let streamCounter = 0;
const newStream = (category = 'test') =>
  `${category}-${process.pid}-${Date.now().toString(36)}-${streamCounter++}`;

async function readWholeLog(store: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let batch = await store.readAll({ maxCount: 1000 });
  while (batch.events.length > 0) {
    all.push(...batch.events);
    batch = await store.readAll({ after: batch.next, maxCount: 1000 });
  }
  return all;
}

/** The behaviour every event store adapter must have. */
export function eventStoreContract(adapter: string, open: () => Promise<ContractSubject>) {
  describe(`event store contract: ${adapter}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(() => subject.dispose());

    describe('append and readStream', () => {
      it('appends to a new stream and reads the envelope back in order', async () => {
        const stream = newStream();
        const result = await store.append(stream, [thing({ n: 1 }), thing({ n: 2 })], 'no_stream');
        expect(result).toMatchObject({ nextExpectedVersion: 2, written: true });
        const events = await store.readStream(stream);
        expect(events.map((e) => [e.streamVersion, e.data])).toEqual([
          [1, { n: 1 }],
          [2, { n: 2 }],
        ]);
        const [first, second] = events as [RecordedEvent, RecordedEvent];
        expect(first).toMatchObject({ streamId: stream, type: 'ThingHappened', schemaVersion: 1 });
        expect(first.metadata.actor).toEqual({ id: 'test', role: 'system' });
        expect(first.globalPosition).toBeLessThan(second.globalPosition);
        expect(result.lastPosition).toBe(second.globalPosition);
        expect(second.prevHash).toBe(first.hash);
        expect(Date.parse(first.recordedAt)).not.toBeNaN();
        expect(verifyChain(events)).toEqual({ valid: true, events: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('reads several streams at once, each from its own version', async () => {
        const [a, b, none] = [newStream(), newStream(), newStream()];
        await store.append(a, [thing({ n: 1 }), thing({ n: 2 }), thing({ n: 3 })], 'no_stream');
        await store.append(b, [thing({ n: 10 })], 'no_stream');
        const read = await store.readStreams([
          { streamId: a, fromVersion: 2 },
          { streamId: b, fromVersion: 1 },
          { streamId: none, fromVersion: 1 },
        ]);
        expect([...read.keys()].sort()).toEqual([a, b, none].sort());
        expect(read.get(a)!.map((e) => [e.streamVersion, e.data])).toEqual([
          [2, { n: 2 }],
          [3, { n: 3 }],
        ]);
        expect(read.get(a)).toEqual((await store.readStream(a)).slice(1));
        expect(read.get(b)!.map((e) => e.data)).toEqual([{ n: 10 }]);
        expect(read.get(none)).toEqual([]);
        expect((await store.readStreams([{ streamId: b, fromVersion: 2 }])).get(b)).toEqual([]);
      });

      it('answers reads asked at the same moment each with its own streams from its own versions', async () => {
        const [a, b] = [newStream(), newStream()];
        await store.append(
          a,
          [1, 2, 3, 4].map((n) => thing({ n })),
          'no_stream',
        );
        await store.append(b, [thing({ n: 10 }), thing({ n: 11 })], 'no_stream');
        const versions = (events: readonly RecordedEvent[]) =>
          events.map((e) => `${e.streamId}@${e.streamVersion}`);
        const asked = Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? store.readStream(a, { fromVersion: (i % 5) + 1 }).then(versions)
            : store
                .readStreams([
                  { streamId: b, fromVersion: (i % 3) + 1 },
                  { streamId: a, fromVersion: 4 },
                ])
                .then((read) => [...versions(read.get(b)!), ...versions(read.get(a)!)]),
        );
        const expected = (i: number) =>
          i % 2 === 0
            ? [1, 2, 3, 4].filter((v) => v >= (i % 5) + 1).map((v) => `${a}@${v}`)
            : [...[1, 2].filter((v) => v >= (i % 3) + 1).map((v) => `${b}@${v}`), `${a}@4`];
        expect(await Promise.all(asked)).toEqual(asked.map((_, i) => expected(i)));
      });

      it('appends at the exact expected version and refuses a stale one with the actual version', async () => {
        const stream = newStream();
        await store.append(stream, [thing()], 'no_stream');
        await store.append(stream, [thing()], 1);
        const stale = store.append(stream, [thing()], 1);
        await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
        await expect(stale).rejects.toMatchObject({ streamId: stream, expectedVersion: 1, actualVersion: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('honours no_stream, stream_exists and any', async () => {
        const stream = newStream();
        await expect(store.append(stream, [thing()], 'stream_exists')).rejects.toMatchObject({
          actualVersion: 0,
        });
        await expect(store.append(stream, [thing()], 1)).rejects.toBeInstanceOf(WrongExpectedVersionError);
        await store.append(stream, [thing()], 'any');
        await expect(store.append(stream, [thing()], 'no_stream')).rejects.toMatchObject({
          actualVersion: 1,
        });
        await expect(store.append(stream, [thing()], 0)).rejects.toMatchObject({ actualVersion: 1 });
        await store.append(stream, [thing()], 'stream_exists');
        await store.append(stream, [thing()], 'any');
        expect(await store.streamVersion(stream)).toBe(3);
      });

      it('treats the same events appended again as a no-op, whatever the expected version', async () => {
        const stream = newStream();
        const batch = [thing({ n: 1 }), thing({ n: 2 })];
        const first = await store.append(stream, batch, 'no_stream');
        const again = await store.append(stream, batch, 'no_stream');
        expect(again).toEqual({ ...first, written: false });
        expect(await store.append(stream, batch, 'any')).toEqual({ ...first, written: false });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('refuses an event id reused for another stream, writing nothing', async () => {
        const original = thing();
        await store.append(newStream(), [original], 'no_stream');
        const other = newStream();
        await expect(store.append(other, [original], 'any')).rejects.toMatchObject({
          reason: 'event_id_reused',
        });
        await expect(store.append(other, [thing(), original], 'any')).rejects.toMatchObject({
          reason: 'event_id_reused',
        });
        expect(await store.readStream(other)).toEqual([]);
        expect(await store.streamVersion(other)).toBe(0);
      });

      it('gives each of many appends made at once its own outcome, as if each had been made alone', async () => {
        // More appends than the store sends at once: later ones share calls, and one bad append among
        // them must not change what happens to the others.
        const existing = newStream();
        const first = thing();
        await store.append(existing, [first], 'no_stream');
        const reused = thing();
        await store.append(newStream(), [reused], 'no_stream');
        const fresh = Array.from({ length: 24 }, () => newStream());
        const outcomes = await Promise.allSettled([
          ...fresh.map((stream) => store.append(stream, [thing(), thing()], 'no_stream')),
          store.append(existing, [thing()], 5), // stale
          store.append(existing, [first], 'any'), // the same event again
          store.append(existing, [thing()], 1),
          store.append(newStream(), [reused], 'any'), // an id of another stream
          store.append(existing, [thing()], 'no_stream'), // it exists
        ]);
        const [stale, again, next, stolen, exists] = outcomes.slice(fresh.length);
        expect(outcomes.slice(0, fresh.length).every((o) => o.status === 'fulfilled')).toBe(true);
        for (const stream of fresh) expect(await store.streamVersion(stream)).toBe(2);
        expect(stale).toMatchObject({ status: 'rejected', reason: { expectedVersion: 5 } });
        expect((stale as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(again).toMatchObject({ status: 'fulfilled', value: { written: false } });
        expect(next).toMatchObject({ status: 'fulfilled', value: { written: true, nextExpectedVersion: 2 } });
        expect(stolen).toMatchObject({ status: 'rejected', reason: { reason: 'event_id_reused' } });
        expect((exists as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.streamVersion(existing)).toBe(2);
        expect(verifyChain(await store.readStream(existing)).valid).toBe(true);
      });

      it('gives each its own outcome when the appends made at once are all to different streams', async () => {
        // No stream twice and no event stored before: the call's appends are made together (0028).
        const [exact, stale, exists, anyVersion] = [newStream(), newStream(), newStream(), newStream()];
        for (const stream of [exact, stale, exists, anyVersion])
          await store.append(stream, [thing(), thing()], 'no_stream');
        const fresh = Array.from({ length: 24 }, () => newStream());
        const missing = newStream();
        const outcomes = await Promise.allSettled([
          ...fresh.map((stream) => store.append(stream, [thing(), thing(), thing()], 'no_stream')),
          store.append(exact, [thing()], 2),
          store.append(stale, [thing()], 1),
          store.append(exists, [thing()], 'no_stream'),
          store.append(anyVersion, [thing(), thing()], 'any'),
          store.append(missing, [thing()], 'stream_exists'),
        ]);
        const answers = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason));
        for (const [i, stream] of fresh.entries()) {
          const events = await store.readStream(stream);
          expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
          expect(answers[i]).toEqual({
            written: true,
            nextExpectedVersion: 3,
            lastPosition: events[2]!.globalPosition,
          });
          expect(verifyChain(events).valid).toBe(true);
        }
        const [toExact, toStale, toExisting, toAny, toMissing] = answers.slice(fresh.length);
        expect(toExact).toMatchObject({ written: true, nextExpectedVersion: 3 });
        expect(toStale).toBeInstanceOf(WrongExpectedVersionError);
        expect(toStale).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
        expect(toExisting).toBeInstanceOf(WrongExpectedVersionError);
        expect(toAny).toMatchObject({ written: true, nextExpectedVersion: 4 });
        expect(toMissing).toBeInstanceOf(WrongExpectedVersionError);
        const versions: [string, number][] = [
          [exact!, 3],
          [stale!, 2],
          [exists!, 2],
          [anyVersion!, 4],
          [missing, 0],
        ];
        for (const [stream, version] of versions) {
          expect(await store.streamVersion(stream)).toBe(version);
          expect(verifyChain(await store.readStream(stream)).valid).toBe(true);
        }
      });

      describe('appendThen: a second append made only if the first was', () => {
        // The follower's stream sorts before its first's, as a cart's before its order's: the store
        // sends a call's appends in stream id order.
        const pair = () => ({ first: newStream('zfirst'), then: newStream('afollow') });
        const versionsOf = async (...streams: string[]) =>
          Promise.all(streams.map((stream) => store.streamVersion(stream)));
        const twice = newStream();
        const reused = thing();
        beforeAll(() => store.append(newStream(), [reused], 'no_stream'));

        it('makes both, and refuses the second only by its own expected version', async () => {
          const both = pair();
          await store.append(both.then, [thing()], 'no_stream');
          const made = await store.appendThen(
            { streamId: both.first, events: [thing(), thing()], expectedVersion: 'no_stream' },
            { streamId: both.then, events: [thing()], expectedVersion: 1 },
          );
          expect(made.first).toMatchObject({ written: true, nextExpectedVersion: 2 });
          expect(made.then).toMatchObject({ written: true, nextExpectedVersion: 2 });
          expect(verifyChain(await store.readStream(both.then)).valid).toBe(true);

          const stale = pair();
          await store.append(stale.then, [thing(), thing()], 'no_stream');
          const refused = await store.appendThen(
            { streamId: stale.first, events: [thing()], expectedVersion: 'no_stream' },
            { streamId: stale.then, events: [thing()], expectedVersion: 1 },
          );
          expect(refused.first).toMatchObject({ written: true, nextExpectedVersion: 1 });
          expect(refused.then).toBeInstanceOf(WrongExpectedVersionError);
          expect(refused.then).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
          expect(await versionsOf(stale.first, stale.then)).toEqual([1, 2]);
        });

        it('writes nothing of the second when the first meets a conflict or is invalid', async () => {
          const taken = pair();
          await store.append(taken.first, [thing()], 'no_stream');
          await expect(
            store.appendThen(
              { streamId: taken.first, events: [thing()], expectedVersion: 'no_stream' },
              { streamId: taken.then, events: [thing()], expectedVersion: 'any' },
            ),
          ).rejects.toBeInstanceOf(WrongExpectedVersionError);
          const invalid = pair();
          await expect(
            store.appendThen(
              { streamId: invalid.first, events: [thing()], expectedVersion: 'no_stream' },
              {
                streamId: invalid.then,
                events: [{ ...thing(), type: 'NoSuchEvent' }],
                expectedVersion: 'any',
              },
            ),
          ).rejects.toMatchObject({ reason: 'unknown_event_type' });
          expect(await versionsOf(taken.first, taken.then, invalid.first, invalid.then)).toEqual([
            1, 0, 0, 0,
          ]);
        });

        it.each([
          ['made together (0028)', () => []],
          [
            'with a stream twice, made append by append',
            () => Array.from({ length: 3 }, () => ({ stream: twice, event: thing() })),
          ],
          ['with an event id reused, made one by one', () => [{ stream: newStream(), event: reused }]],
        ])('keeps each pair apart among many appends made at once: a call %s', async (_, others) => {
          // Twenty pairs, the first of every other one taken already. The first two appends made go in
          // calls of their own; the others wait and then go together, in one call.
          const pairs = Array.from({ length: 20 }, pair);
          const taken = pairs.filter((_, i) => i % 2 === 1);
          for (const { first } of taken) await store.append(first, [thing()], 'no_stream');
          const extra = others();
          const outcomes = await Promise.allSettled([
            ...[newStream(), newStream()].map((stream) => store.append(stream, [thing()], 'no_stream')),
            ...pairs.map(({ first, then }) =>
              store.appendThen(
                { streamId: first, events: [thing()], expectedVersion: 'no_stream' },
                { streamId: then, events: [thing(), thing()], expectedVersion: 'no_stream' },
              ),
            ),
            ...extra.map(({ stream, event }) => store.append(stream, [event], 'any')),
          ]);
          const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as object] : []));
          expect(refused.filter((e) => e instanceof WrongExpectedVersionError)).toHaveLength(taken.length);
          expect(refused.filter((e) => e instanceof InvalidAppendError)).toHaveLength(
            extra.filter(({ event }) => event === reused).length,
          );
          for (const [i, { first, then }] of pairs.entries()) {
            expect(await versionsOf(first, then)).toEqual(i % 2 === 1 ? [1, 0] : [1, 2]);
            if (i % 2 === 0) expect(verifyChain(await store.readStream(then)).valid).toBe(true);
          }
        });
      });

      it('reads forward and backward from a version, a bounded number of events', async () => {
        const stream = newStream();
        await store.append(
          stream,
          Array.from({ length: 10 }, (_, n) => thing({ n })),
          'no_stream',
        );
        const versions = (events: RecordedEvent[]) => events.map((e) => e.streamVersion);
        expect(versions(await store.readStream(stream, { fromVersion: 4, maxCount: 3 }))).toEqual([4, 5, 6]);
        expect(versions(await store.readStream(stream, { direction: 'backward', maxCount: 3 }))).toEqual([
          10, 9, 8,
        ]);
        expect(versions(await store.readStream(stream, { direction: 'backward', fromVersion: 2 }))).toEqual([
          2, 1,
        ]);
        expect(await store.readStream(newStream())).toEqual([]);
      });
    });

    describe('bad input is refused and writes nothing', () => {
      const cases: [string, (stream: string) => Promise<unknown>, string][] = [
        ['an empty stream id', () => store.append('', [thing()], 'any'), 'invalid_stream_id'],
        [
          'a stream id without a category',
          () => store.append('no_category_here', [thing()], 'any'),
          'invalid_stream_id',
        ],
        [
          'a stream id with spaces',
          () => store.append('test-has space', [thing()], 'any'),
          'invalid_stream_id',
        ],
        [
          'a negative expected version',
          (stream) => store.append(stream, [thing()], -1),
          'invalid_expected_version',
        ],
        [
          'a fractional expected version',
          (stream) => store.append(stream, [thing()], 1.5),
          'invalid_expected_version',
        ],
        ['no events', (stream) => store.append(stream, [], 'any'), 'no_events'],
        [
          'an unknown event type',
          (stream) => store.append(stream, [thing(), { ...thing(), type: 'NobodyKnowsMe' }], 'any'),
          'unknown_event_type',
        ],
        [
          'an event over 1 MiB',
          (stream) => store.append(stream, [thing({ blob: 'x'.repeat(1024 * 1024) })], 'any'),
          'event_too_large',
        ],
        [
          'data that is not an object',
          (stream) => store.append(stream, [{ ...thing(), data: 42 }], 'any'),
          'invalid_event',
        ],
        [
          'a malformed event id',
          (stream) => store.append(stream, [thing({}, 'not-a-uuid')], 'any'),
          'invalid_event',
        ],
        [
          'metadata without an actor',
          (stream) =>
            store.append(stream, [{ ...thing(), metadata: { correlationId: 'x' } as never }], 'any'),
          'invalid_event',
        ],
        [
          'a NUL character',
          (stream) => store.append(stream, [thing({ text: 'a\u0000b' })], 'any'),
          'invalid_event',
        ],
      ];
      it.each(cases)('%s', async (_name, attempt, reason) => {
        const stream = newStream();
        const error = await attempt(stream).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect((error as InvalidAppendError).reason).toBe(reason);
        expect((error as Error).message.length).toBeGreaterThan(10);
        expect(await store.streamVersion(stream)).toBe(0);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('readAll and subscribe', () => {
      it('reads the global log in batches, resuming after a checkpoint or a global position', async () => {
        const stream = newStream();
        const start = (await readWholeLog(store)).at(-1);
        await store.append(
          stream,
          Array.from({ length: 25 }, (_, n) => thing({ n })),
          'no_stream',
        );
        // A commit becomes visible to global reads once no older transaction (in any database of the
        // server) is still running, so the reader keeps reading from where it got to until all 25 arrive.
        const seen: number[] = [];
        let after = start?.checkpoint;
        await expect
          .poll(
            async () => {
              for (let batch = await store.readAll({ after, maxCount: 10 }); batch.events.length > 0;) {
                expect(batch.events.length).toBeLessThanOrEqual(10);
                seen.push(
                  ...batch.events
                    .filter((e) => e.streamId === stream)
                    .map((e) => (e.data as { n: number }).n),
                );
                after = batch.next;
                batch = await store.readAll({ after, maxCount: 10 });
              }
              return seen.length;
            },
            { timeout: 30_000 },
          )
          .toBe(25);
        expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => n));
        const [, third] = await store.readStream(stream, { fromVersion: 2, maxCount: 2 });
        const fromPosition = await store.readAll({ after: third!.globalPosition - 1, maxCount: 2 });
        expect(fromPosition.events.map((e) => e.streamVersion)).toEqual([3, 4]);
        await expect(store.readAll({ after: 10 ** 12 })).rejects.toBeInstanceOf(UnknownPositionError);
      });

      it('reads only the events of the types asked for, and resumes past the others', async () => {
        const stream = newStream();
        const other = (n: number): NewEvent => ({ ...thing({ n }), type: 'OtherThingHappened' });
        const start = (await readWholeLog(store)).at(-1)?.checkpoint;
        await store.append(
          stream,
          [thing({ n: 0 }), other(1), other(2), thing({ n: 3 }), other(4)],
          'no_stream',
        );
        const types = ['ThingHappened'];
        // Two at most per read: the first read stops at the second event of the type, the next
        // passes over the last (other) event and says how far it got.
        const seen: number[] = [];
        let after = start;
        await expect
          .poll(
            async () => {
              for (;;) {
                const batch = await store.readAll({ after, maxCount: 2, types });
                expect(batch.events.every((e) => e.type === 'ThingHappened')).toBe(true);
                seen.push(
                  ...batch.events
                    .filter((e) => e.streamId === stream)
                    .map((e) => (e.data as { n: number }).n),
                );
                const moved = JSON.stringify(batch.next) !== JSON.stringify(after);
                after = batch.next;
                if (!moved) return seen;
              }
            },
            { timeout: 30_000 },
          )
          .toEqual([0, 3]);
        const [last] = await store.readStream(stream, { direction: 'backward', maxCount: 1 });
        const end = (await readWholeLog(store)).at(-1)!.checkpoint;
        // Caught up: `next` is the end of the log, past the last event of the stream (another type).
        expect(after).toEqual(end);
        expect(BigInt(end.transactionId) >= BigInt(last!.checkpoint.transactionId)).toBe(true);

        // A subscription with types gets its types only, and is told when it moved past others only.
        const received: string[] = [];
        const nexts: string[] = [];
        const subscription = store.subscribe(
          async (events, next) => {
            received.push(...events.filter((e) => e.streamId === stream).map((e) => e.type));
            nexts.push(JSON.stringify(next));
          },
          { after: end, types, maxPollIntervalMs: 5 },
        );
        await store.append(stream, [other(5)], 5);
        const [sixth] = await store.readStream(stream, { fromVersion: 6 });
        await expect
          .poll(() => nexts.includes(JSON.stringify(sixth!.checkpoint)), { timeout: 30_000 })
          .toBe(true);
        await store.append(stream, [thing({ n: 6 })], 6);
        await expect.poll(() => received, { timeout: 30_000 }).toEqual(['ThingHappened']);
        await subscription.stop();
      });

      it('catches up from a checkpoint, then delivers live appends', async () => {
        const stream = newStream();
        await store.append(stream, [thing({ n: 0 }), thing({ n: 1 })], 'no_stream');
        const [firstOfStream] = await store.readStream(stream);
        const received: RecordedEvent[] = [];
        const subscription = store.subscribe(
          async (events) => {
            received.push(...events.filter((e) => e.streamId === stream));
          },
          { after: firstOfStream!.checkpoint },
        );
        await store.append(stream, [thing({ n: 2 })], 2);
        await expect.poll(() => received.length, { timeout: 30_000 }).toBe(2);
        await subscription.stop();
        expect(received.map((e) => e.streamVersion)).toEqual([2, 3]);
        expect(subscription.checkpoint.globalPosition).toBeGreaterThanOrEqual(received[1]!.globalPosition);
      });

      it('retries a batch whose handler failed instead of skipping it', async () => {
        const stream = newStream();
        const last = (await readWholeLog(store)).at(-1);
        await store.append(stream, [thing()], 'no_stream');
        let failures = 0;
        const handled: string[] = [];
        const subscription = store.subscribe(
          async (events) => {
            if (failures++ < 2) throw new Error('projection hiccup');
            handled.push(...events.map((e) => e.streamId));
          },
          { after: last?.checkpoint, maxPollIntervalMs: 5 },
        );
        await expect.poll(() => handled.includes(stream), { timeout: 30_000 }).toBe(true);
        await subscription.stop();
        expect(handled.filter((s) => s === stream)).toHaveLength(1);
      });

      it('delivers every event exactly once while many writers append to many streams', async () => {
        const last = (await readWholeLog(store)).at(-1);
        const streams = Array.from({ length: 40 }, () => newStream('load'));
        const ids = new Map<string, number>();
        const subscription = store.subscribe(
          async (events) => {
            for (const e of events) ids.set(e.eventId, (ids.get(e.eventId) ?? 0) + 1);
          },
          { after: last?.checkpoint, batchSize: 97 },
        );
        const appended: string[] = [];
        await Promise.all(
          Array.from({ length: 16 }, async (_, writer) => {
            for (let i = 0; i < 40; i++) {
              const batch = Array.from({ length: 1 + ((i + writer) % 3) }, () => thing({ writer, i }));
              await store.append(streams[(writer * 7 + i) % streams.length]!, batch, 'any');
              appended.push(...batch.map((e) => e.eventId!));
            }
          }),
        );
        await expect.poll(() => appended.every((id) => ids.has(id)), { timeout: 30_000 }).toBe(true);
        await subscription.stop();
        expect(appended.length).toBeGreaterThan(600);
        expect([...ids.values()].every((count) => count === 1)).toBe(true);
        expect(ids.size).toBe(appended.length);
      });
    });
  });
}
