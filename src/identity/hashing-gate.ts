/** Too many password hashes are waiting already: the caller is told to come back rather than queue. */
export class HashingBusyError extends Error {
  override name = 'HashingBusyError';
  constructor(readonly retryAfterSeconds: number) {
    super('too many sign-ins at once; try again shortly');
  }
}

/**
 * A bound on password hashing. scrypt runs on libuv's small thread pool (4 threads), which file and
 * DNS work share: a flood of sign-ins must take a few of its threads, not all of them, and the
 * excess is refused at once instead of waiting behind the rest.
 */
export class HashingGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `hashing` when a slot is free; throws HashingBusyError when the queue is full. */
  async run<T>(hashing: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new HashingBusyError(1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await hashing();
    } finally {
      // The slot passes straight to the next in line, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
