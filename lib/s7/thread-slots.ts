/**
 * The process-wide budget of libuv threads that snap7 calls may hold at once.
 *
 * Every snap7 client call (connect, ReadArea, ReadMultiVars) blocks a thread of libuv's pool
 * (UV_THREADPOOL_SIZE, 4 by default) until the PLC answers or the timeout ends, and that pool
 * also serves file I/O, DNS and zlib. A PLC that accepts TCP but never answers would otherwise
 * take whole threads for seconds and starve Node-RED's file I/O. So:
 *  - snap7 calls never hold more than (pool size − 1) threads: one is always left for the rest;
 *  - connects (where silent PLCs spend their time) never take the last slot requests can use,
 *    so readers of healthy PLCs always find one;
 *  - the dialog's test reads have a slot of their own, so production never waits behind them;
 *  - waiting calls are served least-recently-served PLC first: a PLC that keeps retrying does
 *    not crowd out one that rarely asks.
 */

export type SlotKind = 'connect' | 'request';
/** Production connections, or the dialog's test reads. */
export type SlotLane = 'production' | 'test';
export type ReleaseSlot = () => void;

export interface SlotLimits {
  /** snap7 calls of production connections at once. */
  production: number;
  /** Of those, connects at once. */
  connects: number;
  /** Test reads at once; 0: they share the production slots (a pool too small to split). */
  test: number;
}

/** libuv's thread pool size for this process: UV_THREADPOOL_SIZE (read by libuv at start), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/** How `threads` pool threads are shared out (4 threads: 2 production, of which 1 connect, and 1 test). */
export function limitsFor(threads: number): SlotLimits {
  const usable = Math.max(1, threads - 1);
  // a separate test slot only when production keeps two: one for connects, one for requests
  const test = usable >= 3 ? 1 : 0;
  const production = usable - test;
  return { production, connects: Math.max(1, production - 1), test };
}

interface Waiter {
  owner: object;
  kind: SlotKind;
  lane: SlotLane;
  grant: (release: ReleaseSlot) => void;
  refuse: (err: Error) => void;
}

export interface SlotUsage {
  production: number;
  connects: number;
  test: number;
  waiting: number;
  /** Most slots held at once since the last resetPeak(). */
  peak: number;
}

export class ThreadSlots {
  private production = 0;
  private connects = 0;
  private test = 0;
  private peakHeld = 0;
  private waiters: Waiter[] = [];
  /** Grant count when each owner was last served: the least recently served owner goes first. */
  private readonly lastServed = new WeakMap<object, number>();
  private grants = 0;

  constructor(private readonly limits: SlotLimits) {}

  get usage(): SlotUsage {
    return { production: this.production, connects: this.connects, test: this.test, waiting: this.waiters.length, peak: this.peakHeld };
  }

  resetPeak(): void {
    this.peakHeld = this.production + this.test;
  }

  /** Resolves with the function that gives the slot back once `owner` (a PLC connection) may make its snap7 call. */
  acquire(owner: object, kind: SlotKind, lane: SlotLane = 'production'): Promise<ReleaseSlot> {
    return new Promise((grant, refuse) => {
      this.waiters.push({ owner, kind, lane, grant, refuse });
      this.dispatch();
    });
  }

  /** Refuses every call `owner` is still waiting with (it is closing). */
  cancel(owner: object, err: Error): void {
    const mine = this.waiters.filter((w) => w.owner === owner);
    this.waiters = this.waiters.filter((w) => w.owner !== owner);
    for (const w of mine) w.refuse(err);
  }

  private fits(w: Waiter): boolean {
    if (w.lane === 'test' && this.limits.test > 0) return this.test < this.limits.test;
    if (this.production >= this.limits.production) return false;
    return w.kind !== 'connect' || this.connects < this.limits.connects;
  }

  private dispatch(): void {
    for (;;) {
      let best: Waiter | undefined;
      let bestServed = Infinity;
      for (const w of this.waiters) {
        if (!this.fits(w)) continue;
        const served = this.lastServed.get(w.owner) ?? -1;
        if (served < bestServed) {
          best = w;
          bestServed = served;
        }
      }
      if (!best) return;
      this.waiters.splice(this.waiters.indexOf(best), 1);
      this.lastServed.set(best.owner, this.grants++);
      best.grant(this.take(best));
    }
  }

  private take(w: Waiter): ReleaseSlot {
    const ownLane = w.lane === 'test' && this.limits.test > 0;
    const connect = !ownLane && w.kind === 'connect';
    if (ownLane) this.test++;
    else this.production++;
    if (connect) this.connects++;
    this.peakHeld = Math.max(this.peakHeld, this.production + this.test);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (ownLane) this.test--;
      else this.production--;
      if (connect) this.connects--;
      this.dispatch();
    };
  }
}

/** The budget every S7Connection of this process shares. */
export const snap7Slots = new ThreadSlots(limitsFor(threadPoolSize()));
