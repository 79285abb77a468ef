/**
 * Tags every kept answer depends on, whatever else it names: bumping it drops every answer (a rebuilt
 * search index, an invalidation that may have been lost).
 */
export const EVERY_ANSWER = '*';

/** An answer as kept: the JSON the API sends, and the tags whose change makes it stale. */
export type KeptAnswer = Readonly<{ json: string; tags: readonly string[] }>;

type Entry = { answer: KeptAnswer; key: string };

/**
 * Listing answers kept in this process by key, least recently used first out, dropped when one of
 * their tags is invalidated (never by a clock).
 *
 * The race: a reader searches, a change is made visible to searches and invalidated, and only then
 * does the reader offer its (older) answer. Every invalidation takes the next number of a sequence
 * and records it on each tag it names; a reader notes the sequence before it searches (`sequence`),
 * and its answer is refused if any of its tags was invalidated after that. An invalidation happens
 * after its change is visible, so an answer read before the change is either refused or dropped.
 */
export class KeptAnswers {
  private readonly entries = new Map<string, Entry>();
  /** Keys of the kept answers naming each tag, to drop them without looking at the others. */
  private readonly byTag = new Map<string, Set<string>>();
  /** The sequence number of each tag's last invalidation. */
  private readonly invalidatedAt = new Map<string, number>();
  private last = 0;

  constructor(private readonly capacity = 2_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** The sequence now: note it before searching, hand it to `offer` with the answer. */
  sequence(): number {
    return this.last;
  }

  get(key: string): KeptAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  /** Keeps an answer searched after `sequence`, unless one of its tags has been invalidated since. */
  offer(key: string, answer: KeptAnswer, sequence: number): boolean {
    if (this.staleSince(answer.tags, sequence)) return false;
    this.drop(key);
    this.entries.set(key, { answer, key });
    for (const tag of answer.tags) {
      const keys = this.byTag.get(tag);
      if (keys) keys.add(key);
      else this.byTag.set(tag, new Set([key]));
    }
    if (this.entries.size > this.capacity) this.drop(this.entries.keys().next().value!);
    return true;
  }

  /** Drops every answer naming one of `tags` (EVERY_ANSWER: all of them). */
  invalidate(tags: Iterable<string>): void {
    const sequence = ++this.last;
    for (const tag of tags) {
      this.invalidatedAt.set(tag, sequence);
      if (tag === EVERY_ANSWER) {
        this.entries.clear();
        this.byTag.clear();
        continue;
      }
      const keys = this.byTag.get(tag);
      if (keys) for (const key of [...keys]) this.drop(key);
    }
  }

  private staleSince(tags: readonly string[], sequence: number): boolean {
    if ((this.invalidatedAt.get(EVERY_ANSWER) ?? 0) > sequence) return true;
    for (const tag of tags) if ((this.invalidatedAt.get(tag) ?? 0) > sequence) return true;
    return false;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.answer.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
