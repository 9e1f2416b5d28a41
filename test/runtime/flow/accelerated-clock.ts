/**
 * Preloaded into the Node-RED process of the end-to-end test (`node -r`): time runs
 * CLOCK_SPEED times faster from the instant CLOCK_START (epoch ms). Date, performance.now and
 * every timer are scaled together, so the nodes run their production code paths (clock-anchored
 * reads, minute accounting, hour closing) and a simulated hour passes in a fraction of one.
 * Not part of the package: tests only.
 */
import { performance } from 'node:perf_hooks';

const speed = Number(process.env.CLOCK_SPEED ?? '1');
const start = Number(process.env.CLOCK_START ?? String(Date.now()));

if (speed !== 1 || process.env.CLOCK_START) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const realPerfNow = performance.now.bind(performance);
  const realStart = realNow();
  const perfStart = realPerfNow();
  const fakeNow = (): number => Math.floor(start + (realNow() - realStart) * speed);

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
