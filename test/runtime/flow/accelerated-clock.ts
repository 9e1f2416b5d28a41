/**
 * Preloaded into the Node-RED process of the end-to-end test (`node -r`): time runs
 * CLOCK_SPEED times faster, and read CLOCK_START (epoch ms) at the real instant CLOCK_REAL_START
 * (default: when this loads), so the test process can compute the same clock with
 * acceleratedNow(). Date, performance.now and
 * every timer are scaled together, so the nodes run their production code paths (clock-anchored
 * reads, minute accounting, hour closing) and a simulated hour passes in a fraction of one.
 * Not part of the package: tests only.
 */
import { performance } from 'node:perf_hooks';

export interface ClockSettings { speed: number; start: number; realStart: number }

/** The accelerated time at real instant `realNow` (epoch ms). */
export function acceleratedNow(clock: ClockSettings, realNow: number): number {
  return Math.floor(clock.start + (realNow - clock.realStart) * clock.speed);
}

/** The real instant at which the accelerated clock shows `at`. */
export function realInstantOf(clock: ClockSettings, at: number): number {
  return clock.realStart + (at - clock.start) / clock.speed;
}

/** The environment that makes a preloaded process run on `clock`. */
export function clockEnvironment(clock: ClockSettings): Record<string, string> {
  return { CLOCK_SPEED: String(clock.speed), CLOCK_START: String(clock.start), CLOCK_REAL_START: String(clock.realStart) };
}

if (process.env.CLOCK_START) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const realPerfNow = performance.now.bind(performance);
  const clock: ClockSettings = {
    speed: Number(process.env.CLOCK_SPEED ?? '1'),
    start: Number(process.env.CLOCK_START),
    realStart: Number(process.env.CLOCK_REAL_START ?? String(realNow())),
  };
  const speed = clock.speed;
  const perfStart = realPerfNow();
  const fakeNow = (): number => acceleratedNow(clock, realNow());

  class AcceleratedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fakeNow());
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return fakeNow();
    }
  }
  // Date() called as a function returns the current time as a string.
  const DateProxy = new Proxy(AcceleratedDate, {
    apply: () => new AcceleratedDate().toString(),
  });
  globalThis.Date = DateProxy as DateConstructor;
  performance.now = (): number => perfStart + (realPerfNow() - perfStart) * speed;

  const scale = (ms: unknown): number => Math.max(0, Number(ms ?? 0) / speed);
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = globalThis;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    realSetTimeout(fn, scale(ms), ...rest)) as typeof setTimeout;
  globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    realSetInterval(fn, scale(ms), ...rest)) as typeof setInterval;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const timers = require('node:timers') as { setTimeout: typeof setTimeout; setInterval: typeof setInterval };
  timers.setTimeout = globalThis.setTimeout;
  timers.setInterval = globalThis.setInterval;
}
