/**
 * The time source every engine takes, so tests run timing-sensitive logic on a clock they move
 * themselves (test/helpers/manual-clock.ts) instead of sleeping and hoping the machine kept up.
 */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
