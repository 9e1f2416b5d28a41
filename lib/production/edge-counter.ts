/**
 * Unit counting from sampled PLC signals, per key (usually a machine): edges of a BOOL cycle
 * bit with debounce, or the delta of a PLC counter register. Pure: the caller supplies the
 * sample timestamps; state is plain JSON so it can live in a Node-RED context store.
 */
import type { UnitSource } from '../shared/messages';
import { ValidationError, describeValue } from '../shared/validate';

export type CountMode = UnitSource;
export const COUNT_MODES: readonly CountMode[] = ['rising', 'falling', 'both', 'counter'];

export interface EdgeCounterOptions {
  mode: CountMode;
  /** A high level counts only once two samples at least this far apart show it (0 = at once). */
  minHighMs: number;
  /** The same for a low level. */
  minLowMs: number;
  /** Counter register width. */
  counterBits: 16 | 32;
  /** The largest plausible number of units between two counter samples. */
  maxStep: number;
  /** A gap between two samples longer than this raises a missed-pulse warning. */
  gapWarnMs: number;
}

export const EDGE_COUNTER_DEFAULTS: EdgeCounterOptions = {
  mode: 'rising',
  minHighMs: 0,
  minLowMs: 0,
  counterBits: 16,
  maxStep: 1000,
  gapWarnMs: 10_000,
};

/** Everything remembered for one key; JSON-safe. */
export interface KeyState {
  /** Debounced level (edge modes); null until the baseline sample. */
  level: boolean | null;
  /** A level change seen but not yet held long enough. */
  pending: { level: boolean; since: number; samples: number } | null;
  /** Last counter register value (counter mode); null until the baseline sample. */
  counter: number | null;
  lastTs: number | null;
  /** Source time of the last confirmed level change and samples seen since. */
  phaseStart: number | null;
  phaseSamples: number;
  total: number;
  suppressed: number;
  shortestPhaseMs: number | null;
}

export type WarningKind = 'gap' | 'short-pulse' | 'counter-reset' | 'counter-jump';

export interface CountWarning {
  kind: WarningKind;
  message: string;
}

export interface CountResult {
  /** Units counted by this sample (0 or more). */
  delta: number;
  total: number;
  /** Source time of the counted edge (the first sample showing the new level), or the sample time. */
  timestamp: number;
  warnings: CountWarning[];
  /** This sample only set the baseline. */
  baseline: boolean;
}

function newKeyState(): KeyState {
  return { level: null, pending: null, counter: null, lastTs: null, phaseStart: null, phaseSamples: 0, total: 0, suppressed: 0, shortestPhaseMs: null };
}

/** A result before sample() fills in the total and warnings; one shape for every case. */
function counted(delta: number, timestamp: number, baseline: boolean): CountResult {
  return { delta, total: 0, timestamp, warnings: [], baseline };
}

function isKeyState(value: unknown): value is KeyState {
  const v = value as KeyState;
  return typeof v === 'object' && v !== null && typeof v.total === 'number' && Number.isFinite(v.total) && typeof v.suppressed === 'number';
}

export class EdgeCounter {
  private readonly keys: Record<string, KeyState>;

  constructor(private readonly options: EdgeCounterOptions, restored?: unknown) {
    this.keys = {};
    if (restored && typeof restored === 'object') {
      for (const [key, state] of Object.entries(restored as Record<string, unknown>)) {
        if (isKeyState(state)) this.keys[key] = { ...newKeyState(), ...state };
      }
    }
  }

  /** The live state, JSON-safe; the adapter stores it as is. */
  get state(): Record<string, KeyState> {
    return this.keys;
  }

  /**
   * After a (re)start nothing is known about what the signal did meanwhile: the next sample of
   * every key sets a new baseline, totals continue.
   */
  rebaseline(): void {
    for (const state of Object.values(this.keys)) {
      Object.assign(state, { level: null, pending: null, counter: null, lastTs: null, phaseStart: null, phaseSamples: 0 });
    }
  }

  /** Forget one key, or all keys: totals start again at 0. */
  reset(key?: string): void {
    if (key === undefined) {
      for (const k of Object.keys(this.keys)) delete this.keys[k];
    } else {
      delete this.keys[key];
    }
  }

  /** One sample of the key's signal: a bit (edge modes) or a register value (counter mode). */
  sample(key: string, timestamp: number, value: unknown, field = 'payload'): CountResult {
    const state = this.keys[key] ?? newKeyState();
    if (state.lastTs !== null && timestamp < state.lastTs) {
      throw new ValidationError(
        'timestamp',
        `${new Date(timestamp).toISOString()} of key "${key}" is older than its previous sample ` +
          `(${new Date(state.lastTs).toISOString()}): samples must arrive in order`,
      );
    }
    const warnings: CountWarning[] = [];
    const result = this.options.mode === 'counter'
      ? this.counterSample(key, state, timestamp, value, field, warnings)
      : this.edgeSample(key, state, timestamp, value, field, warnings);
    if (state.lastTs !== null && timestamp - state.lastTs > this.options.gapWarnMs) {
      warnings.unshift({
        kind: 'gap',
        message: `gap of ${((timestamp - state.lastTs) / 1000).toFixed(1)} s in the samples of "${key}": pulses in between may be missed`,
      });
    }
    state.lastTs = timestamp;
    state.total += result.delta;
    this.keys[key] = state;
    // Filled in rather than spread: this runs for every sample.
    result.total = state.total;
    result.warnings = warnings;
    return result;
  }

  private edgeSample(key: string, state: KeyState, ts: number, value: unknown, field: string, warnings: CountWarning[]): CountResult {
    let level: boolean;
    if (typeof value === 'boolean') level = value;
    else if (value === 0 || value === 1) level = value === 1;
    else throw new ValidationError(`${field} of key "${key}"`, `expected a BOOL (true/false or 1/0) in ${this.options.mode} mode, got ${describeValue(value)}`);

    if (state.level === null) {
      state.level = level;
      state.pending = null;
      state.phaseStart = ts;
      state.phaseSamples = 1;
      return counted(0, ts, true);
    }
    if (level === state.level) {
      if (state.pending) {
        // The level went back before it was held long enough: a bounce, not an edge.
        state.suppressed += 1;
        state.pending = null;
      }
      state.phaseSamples += 1;
      return counted(0, ts, false);
    }
    const pending = state.pending ?? { level, since: ts, samples: 0 };
    pending.samples += 1;
    state.pending = pending;
    const hold = level ? this.options.minHighMs : this.options.minLowMs;
    if (ts - pending.since < hold) return counted(0, ts, false);

    // Confirmed: the edge happened at the first sample that showed the new level.
    if (state.phaseStart !== null) {
      const width = pending.since - state.phaseStart;
      state.shortestPhaseMs = state.shortestPhaseMs === null ? width : Math.min(state.shortestPhaseMs, width);
      if (state.phaseSamples === 1) {
        warnings.push({
          kind: 'short-pulse',
          message: `a ${state.level ? 'high' : 'low'} phase of "${key}" was seen in a single sample (${width} ms): ` +
            'pulses shorter than the sampling interval are missed; sample faster or use counter mode',
        });
      }
    }
    state.level = level;
    state.pending = null;
    state.phaseStart = pending.since;
    state.phaseSamples = pending.samples;
    const mode = this.options.mode;
    const counts = mode === 'both' || (mode === 'rising' && level) || (mode === 'falling' && !level);
    return counted(counts ? 1 : 0, pending.since, false);
  }

  private counterSample(key: string, state: KeyState, ts: number, value: unknown, field: string, warnings: CountWarning[]): CountResult {
    const modulus = 2 ** this.options.counterBits;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -modulus / 2 || value >= modulus) {
      throw new ValidationError(
        `${field} of key "${key}"`,
        `expected an integer counter value of ${this.options.counterBits} bits, got ${describeValue(value)}`,
      );
    }
    // Signed registers (INT/DINT) wrap to negative values: read them as unsigned.
    const reading = ((value % modulus) + modulus) % modulus;
    const previous = state.counter;
    state.counter = reading;
    if (previous === null) return counted(0, ts, true);
    const step = reading - previous;
    if (step >= 0 && step <= this.options.maxStep) return counted(step, ts, false);
    if (step < 0) {
      const wrapped = step + modulus;
      if (wrapped <= this.options.maxStep) return counted(wrapped, ts, false);
      // Too far back to be a rollover: the PLC reset the counter, which counted up from 0 since.
      const sinceReset = reading <= this.options.maxStep ? reading : 0;
      warnings.push({
        kind: 'counter-reset',
        message: `counter of "${key}" went back from ${previous} to ${reading}: treated as a reset, ${sinceReset} unit(s) counted since`,
      });
      return counted(sinceReset, ts, false);
    }
    warnings.push({
      kind: 'counter-jump',
      message: `counter of "${key}" jumped from ${previous} to ${reading} (more than ${this.options.maxStep} units): not counted, new baseline`,
    });
    return counted(0, ts, true);
  }
}
