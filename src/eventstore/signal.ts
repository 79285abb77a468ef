/**
 * Something that happens in this process, counted, with waiters for the next time it does (appends to
 * a database, orders queued for the saga). Other processes' doings are found by polling.
 */
export class Signal {
  count = 0;
  private readonly waiters = new Set<() => void>();

  signal(): void {
    this.count++;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves at once if it happened since the count was `seen`, else the next time it does or after `ms`. */
  wait(ms: number, seen = this.count): Promise<void> {
    if (this.count !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
