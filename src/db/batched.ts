/**
 * One round trip for many calls: calls made while `inFlight` (default 1) are on their way wait, then go
 * together in the next (at most `max` at once); under load a round trip answers many, and a call never
 * joins one already sent. `run` answers each input in order.
 */
export function batched<In, Out>(
  max: number,
  run: (inputs: readonly In[]) => Promise<readonly Out[]>,
  inFlight = 1,
): (input: In) => Promise<Out> {
  const waiting: { input: In; resolve(output: Out): void; reject(error: unknown): void }[] = [];
  let running = 0;
  const next = () => {
    if (running >= inFlight || waiting.length === 0) return;
    running++;
    const batch = waiting.splice(0, max);
    run(batch.map((call) => call.input))
      .then(
        (outputs) => batch.forEach((call, i) => call.resolve(outputs[i]!)),
        (error: unknown) => batch.forEach((call) => call.reject(error)),
      )
      .finally(() => {
        running--;
        next();
      });
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      next();
    });
}
