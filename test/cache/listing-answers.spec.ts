import { describe, expect, it } from 'vitest';
import { EVERY_ANSWER, KeptAnswers } from '../../src/cache/listing-answers.ts';
import { InProcessListingAnswers } from '../../src/search/listing-pages.ts';

const answer = (json: string, ...tags: string[]) => ({ json, tags });

describe('kept listing answers (in process)', () => {
  it('drops the answers naming an invalidated tag, and only those', () => {
    const kept = new KeptAnswers();
    expect(kept.offer('tools', answer('T', 'products:category:Tools', 'sku:DRILL-1'), kept.sequence())).toBe(
      true,
    );
    expect(
      kept.offer('lamps', answer('L', 'products:category:Lighting', 'sku:LAMP-1'), kept.sequence()),
    ).toBe(true);
    kept.invalidate(['sku:DRILL-1']);
    expect(kept.get('tools')).toBeUndefined();
    expect(kept.get('lamps')?.json).toBe('L');
    kept.invalidate([EVERY_ANSWER]);
    expect(kept.get('lamps')).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it('refuses an answer searched before an invalidation of one of its tags, keeps one searched after', () => {
    const kept = new KeptAnswers();
    const before = kept.sequence();
    kept.invalidate(['stock:brand:Bosk']);
    expect(kept.offer('old', answer('old', 'products:brand:Bosk', 'stock:brand:Bosk'), before)).toBe(false);
    expect(kept.get('old')).toBeUndefined();
    // Other tags' invalidations do not concern it.
    expect(kept.offer('other', answer('other', 'products:brand:Lumo'), before)).toBe(true);
    expect(kept.offer('new', answer('new', 'stock:brand:Bosk'), kept.sequence())).toBe(true);
    kept.invalidate([EVERY_ANSWER]);
    expect(kept.offer('late', answer('late', 'products:all'), before)).toBe(false);
  });

  it('keeps at most its capacity, the least recently read going first, and forgets its tags', () => {
    const kept = new KeptAnswers(2);
    const at = kept.sequence();
    kept.offer('a', answer('A', 'sku:1'), at);
    kept.offer('b', answer('B', 'sku:2'), at);
    kept.get('a');
    kept.offer('c', answer('C', 'sku:1'), at);
    expect([kept.get('a')?.json, kept.get('b')?.json, kept.get('c')?.json]).toEqual(['A', undefined, 'C']);
    kept.invalidate(['sku:1']);
    expect(kept.size).toBe(0);
    kept.offer('b', answer('B2', 'sku:2'), kept.sequence());
    expect(kept.get('b')?.json).toBe('B2');
  });

  it('lets the readers of one key share its search, unless an invalidation came in between', async () => {
    const answers = new InProcessListingAnswers();
    const release: (() => void)[] = [];
    const search = () =>
      new Promise<{ json: string; tags: string[] }>((resolve) => {
        const n = release.length + 1;
        release.push(() => resolve(answer(`answer ${n}`, 'sku:1')));
      });
    const first = answers.getOrSearch('k', search);
    const second = answers.getOrSearch('k', search);
    expect(release).toHaveLength(1);
    release[0]!();
    expect(await Promise.all([first, second])).toEqual(['answer 1', 'answer 1']);
    expect(answers.peek('k')).toBe('answer 1');

    await answers.invalidate(['sku:1']);
    expect(answers.peek('k')).toBeUndefined();
    const third = answers.getOrSearch('k', search);
    await answers.invalidate(['sku:1']);
    const fourth = answers.getOrSearch('k', search);
    expect(release).toHaveLength(3);
    release[2]!();
    expect(await fourth).toBe('answer 3');
    // The search begun before the last invalidation answers its reader but is not kept.
    release[1]!();
    expect(await third).toBe('answer 2');
    expect(answers.peek('k')).toBe('answer 3');
  });
});
