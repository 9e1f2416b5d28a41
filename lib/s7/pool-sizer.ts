/**
 * How many S7 connections one PLC session should hold: the adaptive pool.
 *
 * A connection carries j requests per round trip: the jobs the PLC agreed to for the wire
 * engine (it pipelines them on its socket), 1 for snap7's client. So a cycle of n requests takes
 * about ceil(n / j) round trips on one connection. The sizer keeps one connection while every
 * read's cycle fits comfortably in its period (the time between its starts, whoever reads: a
 * reader's interval, or back to back), and asks for one more, up to the cap, while it does not:
 *
 *   load(k) = Σ over the reads in use: ceil(requests / (k × j)) × round trip / period
 *
 * is the share of the time k connections are busy. It wants the fewest k with load(k) ≤ FIT
 * (one more only while that lowers the load: a read of 2 requests gains nothing from a third, a
 * read of 8 requests on connections of 8 jobs nothing from a second).
 * Fewer connections are given back only after load(k − 1) stayed ≤ SHRINK_FIT for shrinkAfterMs
 * (on the injected clock), so a pool does not flap at the threshold. A fixed pool always wants
 * the cap. A connect refused beyond the first (a CPU out of connection resources) holds growth
 * back for GROW_RETRY_MS.
 */

/** Share of the time the connections may be busy before one more is opened. */
export const FIT = 0.5;
/** Share of the time one connection fewer would be busy, below which the pool shrinks (hysteresis). */
export const SHRINK_FIT = 0.35;
/** How long the pool must have been larger than needed before one connection closes. */
export const DEFAULT_SHRINK_AFTER_MS = 30_000;
/** After an extra connection's connect failed, no growth for this long. */
export const GROW_RETRY_MS = 60_000;
/** The cap of the adaptive pool (plc-connection's default; see its help for why 3). */
export const DEFAULT_MAX_CONNECTIONS = 3;
/** Weight of the newest sample in the smoothed round trip (a read's mean) and periods. */
const SMOOTHING = 0.2;

interface Demand {
  requests: number;
  /** Smoothed time between two starts; undefined after the first. */
  periodMs: number | undefined;
  lastStart: number;
}

export interface PoolSizerOptions {
  max: number;
  /** Always `max` connections. */
  fixed: boolean;
  shrinkAfterMs: number;
}

export class PoolSizer {
  private readonly demands = new Map<object, Demand>();
  private rttMs: number | undefined;
  /** Round trips measured since the last read started: they enter the smoothed value as one sample (their mean). */
  private sampled = { sum: 0, count: 0 };
  private shrinkSince: number | undefined;
  private growBlockedUntil = -Infinity;
  private jobs = 1;

  constructor(private readonly opts: PoolSizerOptions) {}

  /** The smoothed round trip of one request, once one was measured. */
  get roundTripMs(): number | undefined {
    this.foldRoundTrips();
    return this.rttMs;
  }

  /** A read of `key` (a prepared read) with `requests` requests starts at `now`. */
  readStarted(key: object, requests: number, now: number): void {
    this.foldRoundTrips();
    const d = this.demands.get(key);
    if (!d) {
      this.demands.set(key, { requests, periodMs: undefined, lastStart: now });
      return;
    }
    const gap = Math.max(0, now - d.lastStart);
    d.periodMs = d.periodMs === undefined ? gap : d.periodMs + SMOOTHING * (gap - d.periodMs);
    d.requests = requests;
    d.lastStart = now;
  }

  /** Requests one connection carries at once (its negotiated jobs; 1 for snap7), as the newest connect agreed. */
  jobsPerConnection(jobs: number): void {
    this.jobs = Math.max(1, Math.floor(jobs));
  }

  /** A request's round trip (the call, from sending to its answer), ms. */
  roundTrip(ms: number): void {
    this.sampled.sum += ms;
    this.sampled.count++;
  }

  /**
   * One sample per read, not per request: a read of 27 requests that met a slow moment (a busy
   * machine, a GC pause) would otherwise move the smoothed value as far as 27 slow reads.
   */
  private foldRoundTrips(): void {
    const { sum, count } = this.sampled;
    if (count === 0) return;
    const mean = sum / count;
    this.sampled = { sum: 0, count: 0 };
    this.rttMs = this.rttMs === undefined ? mean : this.rttMs + SMOOTHING * (mean - this.rttMs);
  }

  /** An extra connection could not connect (likely the CPU's connection resources): no growth for a while. */
  growFailed(now: number): void {
    this.growBlockedUntil = now + GROW_RETRY_MS;
  }

  /** Share of the time `k` connections would be busy with the reads in use. */
  load(k: number, now: number): number {
    this.foldRoundTrips();
    if (this.rttMs === undefined) return 0;
    let load = 0;
    for (const [key, d] of this.demands) {
      // a read not repeated for three of its periods (and a second) is no longer in use
      if (d.periodMs === undefined ? now - d.lastStart > 60_000 : now - d.lastStart > 3 * d.periodMs + 1000) {
        this.demands.delete(key);
        continue;
      }
      if (d.periodMs === undefined) continue;
      load += (Math.ceil(d.requests / (k * this.jobs)) * this.rttMs) / Math.max(d.periodMs, this.rttMs);
    }
    return load;
  }

  /**
   * How many connections the pool should have, given `open` now: one more, one fewer, or the
   * same (it changes one at a time). `shrinkAt` is when to ask again for a pending shrink.
   */
  wanted(open: number, now: number): { count: number; shrinkAt?: number } {
    const { max, fixed, shrinkAfterMs } = this.opts;
    if (fixed) return { count: max };
    if (open > max) return { count: max };
    const load = this.load(open, now);
    // more connections only help when they shorten some read (2 requests gain nothing from a third)
    if (open < max && now >= this.growBlockedUntil && load > FIT && this.load(open + 1, now) < load) {
      this.shrinkSince = undefined;
      return { count: open + 1 };
    }
    if (open > 1 && this.load(open - 1, now) <= SHRINK_FIT) {
      this.shrinkSince ??= now;
      if (now - this.shrinkSince >= shrinkAfterMs) {
        this.shrinkSince = now;
        return { count: open - 1 };
      }
      return { count: open, shrinkAt: this.shrinkSince + shrinkAfterMs };
    }
    this.shrinkSince = undefined;
    return { count: Math.max(1, open) };
  }
}
