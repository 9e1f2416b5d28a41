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
 *    not crowd out one that rarely asks;
 *  - when requests get no answer (PLCs fell silent together), the next request of each PLC not
 *    heard from since is a trial with a short receive timeout, so the other silent PLCs cost a
 *    slot for a moment each, not for their whole receive timeout.
 */

import { systemClock, type Clock } from '../shared/clock';

/** A request on a connected client, a connect of a PLC in good standing, or a call on probation. */
export type SlotKind = 'request' | 'connect' | 'probation';
export type ReleaseSlot = () => void;

/** A granted slot. A trial is a request that should use a short receive timeout (see ThreadSlots.isTrial). */
export interface SlotGrant {
  release: ReleaseSlot;
  trial: boolean;
}

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
  grant: (grant: SlotGrant) => void;
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

/** A request holding its slot this long (ms) is taken for one to a PLC that fell silent. */
export const OVERDUE_MS = 500;
/** The receive timeout of a trial (ms): far above a healthy PLC's answer, far below a silent one's cost. */
export const TRIAL_TIMEOUT_MS = 300;
/** A stall is over once no request was overdue for this long (ms). */
const STALL_MEMORY_MS = 1000;

interface HeldRequest { owner: object; since: number }

export class ThreadSlots {
  private held = 0;
  private connects = 0;
  private probation = 0;
  private peakHeld = 0;
  private waiters: Waiter[] = [];
  /** Grant count when each owner was last served: the least recently served owner goes first. */
  private readonly lastServed = new WeakMap<object, number>();
  private grants = 0;
  private readonly heldRequests = new Set<HeldRequest>();
  /** When each owner last got an answer in time. */
  private readonly answeredAt = new WeakMap<object, number>();
  /** Since when requests are overdue (PLCs fell silent), and when one was last seen overdue. */
  private stallSince: number | undefined;
  private stallSeenAt = 0;

  constructor(private readonly limits: SlotLimits, private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  get usage(): SlotUsage {
    return { held: this.held, connects: this.connects, probation: this.probation, waiting: this.waiters.length, peak: this.peakHeld };
  }

  resetPeak(): void {
    this.peakHeld = this.held;
  }

  /** Resolves once `owner` (a PLC connection) may make its snap7 call; release the slot when it returns. */
  acquire(owner: object, kind: SlotKind): Promise<SlotGrant> {
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

  /**
   * While requests to PLCs that fell silent hold slots (a stall), a request of a PLC that has
   * not answered since the stall began is a trial: it may be silent too, so it should give up
   * after TRIAL_TIMEOUT_MS instead of the whole receive timeout. One answer in time clears the
   * PLC; silent ones then cost a slot for a moment, not for seconds each.
   */
  private isTrial(w: Waiter, now: number): boolean {
    if (w.kind !== 'request') return false;
    const stall = this.stall(now);
    return stall !== undefined && !((this.answeredAt.get(w.owner) ?? -Infinity) > stall);
  }

  private stall(now: number): number | undefined {
    for (const h of this.heldRequests) {
      if (now - h.since < OVERDUE_MS) continue;
      this.stallSeenAt = now;
      this.stallSince = Math.min(this.stallSince ?? h.since, h.since);
    }
    if (this.stallSince !== undefined && now - this.stallSeenAt > STALL_MEMORY_MS) this.stallSince = undefined;
    return this.stallSince;
  }

  private fits(kind: SlotKind): boolean {
    if (this.held >= this.limits.total) return false;
    if (kind === 'connect') return this.connects < this.limits.connects;
    if (kind === 'probation') return this.probation < this.limits.probation;
    return true;
  }

  private dispatch(): void {
    const now = this.clock.now();
    for (;;) {
      let best: Waiter | undefined;
      let bestServed = Infinity;
      for (const w of this.waiters) {
        if (!this.fits(w.kind)) continue;
        const served = this.lastServed.get(w.owner) ?? -1;
        if (served < bestServed) {
          best = w;
          bestServed = served;
        }
      }
      if (!best) return;
      this.waiters.splice(this.waiters.indexOf(best), 1);
      this.lastServed.set(best.owner, this.grants++);
      best.grant({ release: this.take(best, now), trial: this.isTrial(best, now) });
    }
  }

  private take(w: Waiter, now: number): ReleaseSlot {
    const kind = w.kind;
    const count = (by: number): void => {
      this.held += by;
      if (kind === 'connect') this.connects += by;
      if (kind === 'probation') this.probation += by;
    };
    count(1);
    this.peakHeld = Math.max(this.peakHeld, this.held);
    const request: HeldRequest | undefined = w.kind === 'request' ? { owner: w.owner, since: now } : undefined;
    if (request) this.heldRequests.add(request);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      count(-1);
      if (request) {
        this.heldRequests.delete(request);
        const at = this.clock.now();
        if (at - request.since < OVERDUE_MS) {
          this.answeredAt.set(request.owner, at);
        } else {
          this.stallSeenAt = at;
          this.stallSince = Math.min(this.stallSince ?? request.since, request.since);
        }
      }
      this.dispatch();
    };
  }
}

/** The budget every S7Connection of this process shares. */
export const snap7Slots = new ThreadSlots(limitsFor(threadPoolSize()));
