/**
 * Preloaded into the Node-RED process of the end-to-end test (`node -r`). The process starts on
 * a clock that shows CLOCK_START and runs at real speed, so start-up (loading Node-RED,
 * connecting, reading the configuration) takes whatever real time it needs and costs the script
 * no more plant time than it would on site. Once the file CLOCK_SWITCH_FILE exists (the test
 * writes it when the flow is ready) time runs CLOCK_SPEED times faster from that instant, and the
 * process logs the switch as a CLOCK_SWITCH_LINE, from which the test computes the same clock
 * with acceleratedNow(). (Not a signal: Node-RED stops on SIGUSR2, nodemon's restart signal.)
 * Date, performance.now and every timer are scaled together, timers pending at the switch
 * included, so the nodes run their production code paths (clock-anchored reads, minute
 * accounting, hour closing) and a simulated hour passes in a fraction of one.
 * Not part of the package: tests only.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The accelerated clock from the switch on: it showed `start` at real instant `realStart` (epoch ms). */
export interface ClockSettings { speed: number; start: number; realStart: number }

/** The accelerated time at real instant `realNow` (epoch ms). */
export function acceleratedNow(clock: ClockSettings, realNow: number): number {
  return Math.floor(clock.start + (realNow - clock.realStart) * clock.speed);
}

/** The real instant at which the accelerated clock shows `at`. */
export function realInstantOf(clock: ClockSettings, at: number): number {
  return clock.realStart + (at - clock.start) / clock.speed;
}

/**
 * The environment that makes a preloaded process start at `start` and, once `switchFile` exists,
 * run `speed` times faster. With `realStart` (and no switch) the clock shows `start` at that real
 * instant in every process started with it: one fixed shift, kept across restarts.
 */
export function clockEnvironment(start: number, speed: number, switchFile?: string, realStart?: number): Record<string, string> {
  return {
    CLOCK_START: String(start),
    CLOCK_SPEED: String(speed),
    ...(switchFile === undefined ? {} : { CLOCK_SWITCH_FILE: switchFile }),
    ...(realStart === undefined ? {} : { CLOCK_REAL_START: String(realStart) }),
  };
}

/** What the process logs when it switches, e.g. `accelerated-clock: 30x from 1773632280000 at real 1764563312345`. */
export const CLOCK_SWITCH_LINE = /accelerated-clock: (\d+(?:\.\d+)?)x from (\d+) at real (\d+)/;

/** The clock a logged switch line describes, or undefined for any other line. */
export function parseClockSwitch(line: string): ClockSettings | undefined {
  const m = CLOCK_SWITCH_LINE.exec(line);
  return m ? { speed: Number(m[1]), start: Number(m[2]), realStart: Number(m[3]) } : undefined;
}

/** Node's Timeout fields the switch re-arms pending timers with (stable since Node 11). */
interface NodeTimeout { _idleStart: number; _idleTimeout: number; _repeat: number | null; _destroyed: boolean; refresh(): void }

if (process.env.CLOCK_START) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const realPerfNow = performance.now.bind(performance);
  const targetSpeed = Number(process.env.CLOCK_SPEED ?? '1');
  // Before the switch the clock runs at real speed from CLOCK_START (shown at CLOCK_REAL_START, default now).
  let clock: ClockSettings = { speed: 1, start: Number(process.env.CLOCK_START), realStart: Number(process.env.CLOCK_REAL_START ?? realNow()) };
  let perf = { real: realPerfNow(), shown: realPerfNow() };
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
  performance.now = (): number => perf.shown + (realPerfNow() - perf.real) * clock.speed;

  const scale = (ms: unknown): number => Math.max(0, Number(ms ?? 0) / clock.speed);
  const { setTimeout: realSetTimeout, setInterval: realSetInterval, clearTimeout: realClearTimeout } = globalThis;
  const switchFile = process.env.CLOCK_SWITCH_FILE;
  // Timers armed at real speed, to be re-armed at the switch (none are tracked after it, or without one).
  let startUpTimers: Set<NodeTimeout> | undefined = switchFile ? new Set() : undefined;
  const tracked = <T>(timer: T): T => {
    startUpTimers?.add(timer as unknown as NodeTimeout);
    return timer;
  };
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    tracked(realSetTimeout(fn, scale(ms), ...rest))) as typeof setTimeout;
  globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    tracked(realSetInterval(fn, scale(ms), ...rest))) as typeof setInterval;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const timers = require('node:timers') as { setTimeout: typeof setTimeout; setInterval: typeof setInterval };
  timers.setTimeout = globalThis.setTimeout;
  timers.setInterval = globalThis.setInterval;

  const accelerate = (): void => {
    const real = realNow();
    const shown = acceleratedNow(clock, real);
    const perfReal = realPerfNow();
    perf = { real: perfReal, shown: performance.now() };
    clock = { speed: targetSpeed, start: shown, realStart: real };
    // A pending timer keeps its remaining plant time: what is left of it, run faster.
    const probe = realSetTimeout(() => undefined, 0) as unknown as NodeTimeout;
    const loopNow = probe._idleStart;
    realClearTimeout(probe as unknown as NodeJS.Timeout);
    for (const timer of startUpTimers ?? []) {
      if (timer._destroyed || timer._idleTimeout < 0) continue;
      const remaining = Math.max(0, timer._idleStart + timer._idleTimeout - loopNow);
      if (timer._repeat) timer._repeat = Math.max(1, timer._repeat / targetSpeed);
      timer._idleTimeout = Math.max(1, remaining / targetSpeed);
      timer.refresh();
    }
    startUpTimers = undefined;
    process.stderr.write(`accelerated-clock: ${targetSpeed}x from ${shown} at real ${real}\n`);
  };
  if (switchFile) {
    const watch = realSetInterval(() => {
      if (!existsSync(switchFile)) return;
      clearInterval(watch);
      accelerate();
    }, 20);
    watch.unref();
  }
}
