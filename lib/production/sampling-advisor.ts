/**
 * The sampling advisor: per key, the widths of the high and low phases of a cycle bit over a
 * sliding window, against the interval at which the bit is read. A phase is measured from the
 * first sample showing it to the first sample showing the next, so one width is off by up to a
 * reading either way but the mean over many is not, as long as the reader's timer drifts against
 * the machine's cycle (as real ones do; a reader locked to the cycle may be told to read faster
 * than it must); a phase seen in a single sample was shorter
 * than two readings and its width is unknown. When the shorter phase lasts about 2 readings or less
 * on average, or is often seen in a single sample, pulses are being missed: the advice says how
 * fast to read instead. A bit read at (a multiple of) its own period looks like a slow bit: no
 * check of the bit alone can see that, a counter register can.
 */

/**
 * Phases older than this (source time) no longer count. Long, because pulses read far too slowly
 * show only now and then; a retune shows at once all the same, since only phases read at about
 * the current interval are judged.
 */
export const ADVISOR_WINDOW_MS = 10 * 60_000;
/** A phase read at an interval this far (relative) from the current one was read before a retune. */
const SAME_INTERVAL = 0.25;
/** Readings a phase must span on average to be counted safely: 2, and room for the reader's jitter. */
const SAFE_SAMPLES = 2.25;
/** Reading every pulse width / 2.5 leaves a phase at least 2 readings even with some jitter. */
const ADVISED_SAMPLES_PER_PULSE = 2.5;
/** Phases of a level whose mean width is judged: one phase read at the interval may look a reading shorter. */
const MIN_MEASURED_PHASES = 3;
/** Share of single-sample phases at which pulses are too short to measure at all. */
const UNRESOLVED_SHARE = 0.1;
/** Weight of a new interval in the running mean of the reading interval. */
const INTERVAL_WEIGHT = 0.2;
/** At most this many phases per key are remembered (fast pulses fill the window quickly). */
const MAX_PHASES = 500;
/** Sample times kept per key, to see the readings around a phase. */
const RECENT_SAMPLES = 32;
/** A reading this many intervals after the one before it came late. */
const LATE_READING = 1.5;

interface Phase {
  at: number;
  level: boolean;
  widthMs: number;
  samples: number;
  /** The reading interval when the phase was seen. */
  intervalMs: number;
}

interface KeySampling {
  phases: Phase[];
  intervalMs: number | null;
  lastTs: number | null;
  /** The latest sample times since the last gap, oldest first; `dropped`: older ones were let go. */
  recent: number[];
  dropped: boolean;
}

export interface SamplingAdvice {
  key: string;
  /** The reading interval the bit is read at, ms (running mean). */
  intervalMs: number;
  /** Mean width of the shorter phase, ms; null when its pulses are mostly shorter than one reading (unknown width). */
  pulseMs: number | null;
  /** An interval that reads such pulses safely, ms: 2.5 readings a pulse, to 10 ms (at least 10). */
  readEveryMs: number;
}

/** A key's sampling judged, whether or not it is too slow. */
export interface SamplingAssessment extends SamplingAdvice {
  /** The slowest interval that still reads the pulses about 2 times (readEveryMs leaves room for jitter), ms. */
  slowestSafeMs: number;
  /** The current interval is slower than that: units can be missed. */
  tooSlow: boolean;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export class SamplingAdvisor {
  private readonly keys = new Map<string, KeySampling>();

  /** `gapMs`: a pause longer than this between samples is a gap, not a reading interval. */
  constructor(private readonly gapMs: number, private readonly windowMs = ADVISOR_WINDOW_MS) {}

  /** The key's usual reading interval (running mean), ms; null before two samples. */
  intervalOf(key: string): number | null {
    return this.keys.get(key)?.intervalMs ?? null;
  }

  /** A sample of the key was read at `ts`; after a gap (an outage) the time since the last one is no reading interval. */
  sample(key: string, ts: number, afterGap = false): void {
    const k = this.keyOf(key);
    if (k.lastTs !== null && !afterGap) {
      const interval = ts - k.lastTs;
      if (interval > 0 && interval <= this.gapMs) {
        k.intervalMs = k.intervalMs === null ? interval : k.intervalMs * (1 - INTERVAL_WEIGHT) + interval * INTERVAL_WEIGHT;
      }
    }
    k.lastTs = ts;
    if (afterGap) {
      k.recent = [];
      k.dropped = false;
    }
    k.recent.push(ts);
    if (k.recent.length > RECENT_SAMPLES) {
      k.recent.shift();
      k.dropped = true;
    }
  }

  /** A phase of `level` ended at `at`: it lasted `widthMs` and was seen in `samples` samples. */
  phase(key: string, at: number, level: boolean, widthMs: number, samples: number): void {
    const k = this.keyOf(key);
    if (k.intervalMs === null) return;
    if (!this.seenWhole(k, at - widthMs, at)) return;
    k.phases.push({ at, level, widthMs, samples, intervalMs: k.intervalMs });
    if (k.phases.length > MAX_PHASES) k.phases.shift();
  }

  forget(key?: string): void {
    if (key === undefined) this.keys.clear();
    else this.keys.delete(key);
  }

  /** Keys whose pulses are read too slowly at `now`, with what to do. */
  adviceAt(now: number): SamplingAdvice[] {
    return this.assessAt(now).filter((a) => a.tooSlow).map(({ key, intervalMs, pulseMs, readEveryMs }) => ({ key, intervalMs, pulseMs, readEveryMs }));
  }

  /**
   * Every key with phases read at its current interval, at `now`: the pulse width, the interval
   * that reads it safely, and whether the current one is too slow (the reader's dialog shows
   * what each counter asks for, also while it is satisfied).
   */
  assessAt(now: number): SamplingAssessment[] {
    const assessed: SamplingAssessment[] = [];
    for (const [key, k] of this.keys) {
      k.phases = k.phases.filter((p) => now - p.at <= this.windowMs);
      const interval = k.intervalMs;
      if (interval === null) continue;
      const current = k.phases.filter((p) => Math.abs(p.intervalMs - interval) <= interval * SAME_INTERVAL);
      let worst: { pulseMs: number | null; samples: number } | null = null;
      for (const level of [true, false]) {
        const phases = current.filter((p) => p.level === level);
        if (phases.length === 0) continue;
        const single = phases.filter((p) => p.samples <= 1).length / phases.length;
        const widthMs = mean(phases.map((p) => p.widthMs));
        // a width is off by up to a reading either way: judged on a few phases, not on the first one
        if (single < UNRESOLVED_SHARE && phases.length < MIN_MEASURED_PHASES) continue;
        const judged = single >= UNRESOLVED_SHARE ? { pulseMs: null, samples: 1 } : { pulseMs: widthMs, samples: widthMs / interval };
        if (!worst || judged.samples < worst.samples) worst = judged;
      }
      if (!worst) continue;
      // Unknown width: shorter than a reading, so read at least 2.5 times as fast as now.
      const pulse = worst.pulseMs ?? interval;
      assessed.push({
        key,
        intervalMs: Math.round(interval),
        pulseMs: worst.pulseMs === null ? null : Math.round(worst.pulseMs),
        readEveryMs: Math.max(10, Math.round(pulse / ADVISED_SAMPLES_PER_PULSE / 10) * 10),
        slowestSafeMs: Math.floor(pulse / SAFE_SAMPLES),
        tooSlow: worst.samples < SAFE_SAMPLES,
      });
    }
    return assessed;
  }

  /**
   * Whether a phase from the sample at `first` to the one at `end` was read at the interval, so
   * its width tells about the pulse: not when it began before the first sample since a gap (a
   * restart, an outage: its start is unknown), nor when a reading before its first or its end
   * came late (an overrun on a busy machine shortens the phase as seen, down to a single sample).
   */
  private seenWhole(k: KeySampling, first: number, end: number): boolean {
    const i = k.recent.indexOf(first);
    const j = k.recent.indexOf(end);
    if (i === -1 || j === -1) return true; // not sample times (an advisor fed by hand): nothing to judge by
    if (i === 0) return k.dropped;
    const limit = (k.intervalMs as number) * LATE_READING;
    return first - k.recent[i - 1] <= limit && end - k.recent[j - 1] <= limit;
  }

  private keyOf(key: string): KeySampling {
    let k = this.keys.get(key);
    if (!k) {
      k = { phases: [], intervalMs: null, lastTs: null, recent: [], dropped: false };
      this.keys.set(key, k);
    }
    return k;
  }
}
