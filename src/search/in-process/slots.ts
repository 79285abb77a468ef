import { PRICE_STEPS } from '../../projections/catalog/types.ts';

// The building blocks of the in-process index: lists of slots (a product's place in the index's
// columns) that grow in place, and the dictionaries and counts its facets read.

export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A word's products and how much the word weighs in each, in no order (removal swaps with the last). */
export class Posting {
  slots = new Int32Array(4);
  weights = new Float64Array(4);
  length = 0;

  add(slot: number, weight: number): void {
    if (this.length === this.slots.length) {
      this.slots = grow(this.slots, this.length * 2);
      this.weights = grow(this.weights, this.length * 2);
    }
    this.slots[this.length] = slot;
    this.weights[this.length++] = weight;
  }

  remove(slot: number): void {
    const at = this.slots.subarray(0, this.length).indexOf(slot);
    if (at < 0) return;
    this.length--;
    this.slots[at] = this.slots[this.length]!;
    this.weights[at] = this.weights[this.length]!;
  }
}

/** The slots of one category, brand or attribute value, in no order. */
export class SlotList {
  slots = new Int32Array(4);
  length = 0;

  add(slot: number): void {
    if (this.length === this.slots.length) this.slots = grow(this.slots, this.length * 2);
    this.slots[this.length++] = slot;
  }

  remove(slot: number): void {
    const at = this.slots.subarray(0, this.length).indexOf(slot);
    if (at < 0) return;
    this.slots[at] = this.slots[--this.length]!;
  }
}

export function grow<T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(
  array: T,
  size: number,
): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/** Slots in one sort order, moved in place when one changes (every key ends with the SKU: one place each). */
export class SortedSlots {
  slots: Int32Array<ArrayBufferLike> = new Int32Array(0);
  length = 0;

  replace(sorted: Int32Array): void {
    this.slots = sorted;
    this.length = sorted.length;
  }

  insert(slot: number, compare: (a: number, b: number) => number): void {
    if (this.length === this.slots.length) this.slots = grow(this.slots, Math.max(16, this.length * 2));
    const at = this.position(slot, compare);
    this.slots.copyWithin(at + 1, at, this.length);
    this.slots[at] = slot;
    this.length++;
  }

  /** With `compare` still reading the keys the slot was inserted with. */
  remove(slot: number, compare: (a: number, b: number) => number): void {
    const at = this.position(slot, compare);
    if (at >= this.length || this.slots[at] !== slot) return;
    this.slots.copyWithin(at, at + 1, this.length);
    this.length--;
  }

  /** The first place whose slot passes `test`, which fails on a prefix of the order and holds on the rest. */
  firstWhere(test: (slot: number) => boolean): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (test(this.slots[middle]!)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  private position(slot: number, compare: (a: number, b: number) => number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.slots[middle]!, slot) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Facet counts by category id, brand id and price bucket. */
export class Tally {
  readonly category: number[] = [];
  readonly brand: number[] = [];
  readonly price: number[] = new Array<number>(PRICE_STEPS.length + 1).fill(0);

  add(category: number, brand: number, bucket: number, count: number): void {
    this.category[category] = (this.category[category] ?? 0) + count;
    this.brand[brand] = (this.brand[brand] ?? 0) + count;
    this.price[bucket] = this.price[bucket]! + count;
  }
}

/** Strings to small numbers, so facets are counted in typed arrays. */
export class Dictionary {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  idOf(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) this.ids.set(value, (id = this.values.push(value) - 1));
    return id;
  }

  find(value: string): number {
    return this.ids.get(value) ?? -1;
  }
}

/** The first index whose word is not below `word`. */
export function lowerBound(words: readonly string[], word: string): number {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (words[middle]! < word) low = middle + 1;
    else high = middle;
  }
  return low;
}
