/**
 * Something that happens in this process, counted, with waiters for the next time it does (appends to
 * a database, orders queued for the saga). Other processes' doings are found by polling, or told
 * (PostgreSQL's notices of appends, see `AppendNotices`).
 */
export class Signal {
  count = 0;
  private readonly waiters = new Set<() => void>();

  signal(): void {
    this.count++;
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * Resolves at once if it happened since the count was `seen`, else the next time it does or after
   * `ms`: with true if it happened, false if the time ran out.
   */
  wait(ms: number, seen = this.count): Promise<boolean> {
    if (this.count !== seen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (happened: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(happened);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
    });
  }
}
