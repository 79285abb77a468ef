/**
 * How many things a second happened lately, counted over the last quarter of a second in five
 * slices of 50 ms: the orders a work queue took in, so that its worker tells a surge from the usual
 * pace within a moment of either starting.
 */
export class RecentRate {
  private readonly slices = new Array<number>(SLICES).fill(0);
  private slice = 0;
  private sliceStarted: number;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.sliceStarted = this.clock();
  }

  add(count: number): void {
    this.moveOn();
    this.slices[this.slice]! += count;
  }

  /** Those counted in the last 250 ms (the current slice and the four before it), as a rate a second. */
  perSecond(): number {
    this.moveOn();
    return (this.slices.reduce((sum, n) => sum + n, 0) * 1000) / (SLICES * SLICE_MS);
  }

  private moveOn(): void {
    const passed = Math.floor((this.clock() - this.sliceStarted) / SLICE_MS);
    if (passed <= 0) return;
    for (let i = 0; i < Math.min(passed, SLICES); i++) {
      this.slice = (this.slice + 1) % SLICES;
      this.slices[this.slice] = 0;
    }
    this.sliceStarted += passed * SLICE_MS;
  }
}

const SLICES = 5;
const SLICE_MS = 50;
