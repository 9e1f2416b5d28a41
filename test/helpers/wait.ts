/**
 * The one way tests wait: for a condition, never for a fixed time. The limit only turns a hang
 * into a failure that names what did not happen; it is generous because a busy machine is slow,
 * and a test must never fail for that alone.
 */
export const DEFAULT_WAIT_MS = 60_000;

/** Polls until fn gives a value other than undefined or false, or fails naming what did not happen. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets real time pass where the test needs it to (a pulse's width, a gap); never an assertion's basis. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
