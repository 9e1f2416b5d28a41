/**
 * The process-wide budget of libuv threads that snap7 calls may hold at once.
 *
 * Every snap7 client call (connect, ReadArea, ReadMultiVars) blocks a thread of libuv's pool
 * (UV_THREADPOOL_SIZE, 4 by default) until the PLC answers or the timeout ends, and that pool
 * also serves file I/O, DNS and zlib. A PLC that accepts TCP but never answers would otherwise
 * take whole threads for seconds and starve Node-RED's file I/O. So:
 *  - snap7 calls never hold more than (pool size − 1) threads: one is always left for the rest;
 *  - calls that may well hang go on probation, a slot of their own: connects of a PLC whose last
 *    S7 connect failed (it answers TCP but not S7: silent) and the dialog's test reads;
 *  - connects of PLCs in good standing have their own limit too, so requests to healthy PLCs
 *    always find a slot, and never wait behind a test read or a silent PLC;
 *  - waiting calls are served least-recently-served PLC first: a PLC that keeps retrying does
 *    not crowd out one that rarely asks.
 */

/** A request on a connected client, a connect of a PLC in good standing, or a call on probation. */
export type SlotKind = 'request' | 'connect' | 'probation';
export type ReleaseSlot = () => void;

export interface SlotLimits {
  /** snap7 calls at once, of every kind. */
  total: number;
  /** Connects in good standing at once. */
  connects: number;
  /** Calls on probation at once. */
  probation: number;
}

/** libuv's thread pool size for this process: UV_THREADPOOL_SIZE (read by libuv at start), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/** How `threads` pool threads are shared out; 4 threads: 3 for snap7, of which 1 probation and 1 connect at most. */
export function limitsFor(threads: number): SlotLimits {
  const total = Math.max(1, threads - 1);
  // requests keep at least one slot when the pool allows it
  return { total, connects: Math.max(1, total - 2), probation: 1 };
}

interface Waiter {
  owner: object;
  kind: SlotKind;
  grant: (release: ReleaseSlot) => void;
  refuse: (err: Error) => void;
}

export interface SlotUsage {
  /** Slots held, of every kind. */
  held: number;
  connects: number;
  probation: number;
  waiting: number;
  /** Most slots held at once since the last resetPeak(). */
  peak: number;
}

export class ThreadSlots {
  private held = 0;
  private connects = 0;
  private probation = 0;
  private peakHeld = 0;
  private waiters: Waiter[] = [];
  /** Grant count when each owner was last served: the least recently served owner goes first. */
  private readonly lastServed = new WeakMap<object, number>();
  private grants = 0;

  constructor(private readonly limits: SlotLimits) {}

  get usage(): SlotUsage {
    return { held: this.held, connects: this.connects, probation: this.probation, waiting: this.waiters.length, peak: this.peakHeld };
  }

  resetPeak(): void {
    this.peakHeld = this.held;
  }

  /** Resolves with the function that gives the slot back once `owner` (a PLC connection) may make its snap7 call. */
  acquire(owner: object, kind: SlotKind): Promise<ReleaseSlot> {
    return new Promise((grant, refuse) => {
      this.waiters.push({ owner, kind, grant, refuse });
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
    if (this.held >= this.limits.total) return false;
    if (w.kind === 'connect') return this.connects < this.limits.connects;
    if (w.kind === 'probation') return this.probation < this.limits.probation;
    return true;
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
    const count = (by: number): void => {
      this.held += by;
      if (w.kind === 'connect') this.connects += by;
      if (w.kind === 'probation') this.probation += by;
    };
    count(1);
    this.peakHeld = Math.max(this.peakHeld, this.held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      count(-1);
      this.dispatch();
    };
  }
}

/** The budget every S7Connection of this process shares. */
export const snap7Slots = new ThreadSlots(limitsFor(threadPoolSize()));
