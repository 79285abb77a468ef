const waitPast = async (ms: number) => {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 1));
};

/**
 * An instant strictly after every event recorded before the call and strictly before every event
 * recorded after it (recorded times are compared at millisecond precision).
 */
export const nextInstant = async () => {
  await waitPast(Date.now());
  const instant = Date.now();
  await waitPast(instant);
  return new Date(instant).toISOString();
};
