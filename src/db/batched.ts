/**
 * One round trip for many calls: calls made while one is on its way wait, then go together in the next
 * (at most `max` at once); under load a round trip answers many. `run` answers each input in order.
 */
export function batched<In, Out>(
  max: number,
  run: (inputs: readonly In[]) => Promise<readonly Out[]>,
): (input: In) => Promise<Out> {
  const waiting: { input: In; resolve(output: Out): void; reject(error: unknown): void }[] = [];
  let running = false;
  const next = () => {
    if (running || waiting.length === 0) return;
    running = true;
    const batch = waiting.splice(0, max);
    run(batch.map((call) => call.input))
      .then(
        (outputs) => batch.forEach((call, i) => call.resolve(outputs[i]!)),
        (error: unknown) => batch.forEach((call) => call.reject(error)),
      )
      .finally(() => {
        running = false;
        next();
      });
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      next();
    });
}
