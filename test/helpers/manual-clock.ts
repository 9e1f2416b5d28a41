/** A clock for tests whose time moves only when the test advances it. */
import type { Clock } from '../../lib/shared/clock';

interface Timer { at: number; seq: number; fn: () => void }

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ManualClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(public time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Resolves after `ms` of this clock's time (a simulated read duration). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }

  /** Moves time forward, firing due timers in order and letting promise chains settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
      await flush();
    }
    this.time = target;
    await flush();
  }
}
