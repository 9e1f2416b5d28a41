/**
 * Unit counting from sampled PLC signals, per key (usually a machine): edges of a BOOL cycle
 * bit with debounce, or the delta of a PLC counter register. Pure: the caller supplies the
 * sample timestamps. The state is JSON-safe and persisted by the node, and it is complete: after
 * a restart the first sample is compared with the persisted level or counter value, so units
 * made while Node-RED was down are counted (counter mode) and no edge is invented or counted
 * twice (edge modes). Keys are user data (signal names, topics): they live in a Map, never as
 * properties of a plain object, so "__proto__" is just a key.
 */
import { readingsOf, type ContractMessage, type UnitSource } from '../shared/messages';
import { ValidationError, describeValue } from '../shared/validate';
import type { KeySource } from './edge-input';
import { SamplingAdvisor, type SamplingAdvice, type SamplingAssessment } from './sampling-advisor';

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
  /** Without an ideal cycle time: the largest plausible number of units between two counter samples. */
  maxStep: number;
  /** No good sample for longer than this (or a bad-quality one) is a gap in the data. */
  gapWarnMs: number;
  /** Fastest possible cycle of the counted machines, ms (0 = not set): bounds the units possible in a time. */
  idealCycleMs: number;
}

export const EDGE_COUNTER_DEFAULTS: EdgeCounterOptions = {
  mode: 'rising',
  minHighMs: 0,
  minLowMs: 0,
  counterBits: 16,
  maxStep: 1000,
  gapWarnMs: 10_000,
  idealCycleMs: 0,
};

/** Slack on the ideal cycle time (a machine may run a little faster than its nominal ideal), plus one unit for read jitter. */
const CYCLE_TOLERANCE = 1.1;

/** Everything remembered for one key; JSON-safe. */
export interface KeyState {
  /** Debounced level (edge modes); null until the first sample. */
  level: boolean | null;
  /** A level change seen but not yet held long enough. */
  pending: { level: boolean; since: number; samples: number } | null;
  /** Last counter register value (counter mode); null until the first sample. */
  counter: number | null;
  /** Source time of the last good sample. */
  lastTs: number | null;
  /** Source time of the first bad-quality reading since the last good sample (the PLC is unreachable). */
  outageSince: number | null;
  /** Source time of the last confirmed level change and samples seen since. */
  phaseStart: number | null;
  phaseSamples: number;
  total: number;
  suppressed: number;
  shortestPhaseMs: number | null;
  /** Counter resets (the PLC's counter went back, or restarted), rollovers, implausible jumps, gaps in the data. */
  resets: number;
  rollovers: number;
  jumps: number;
  gaps: number;
}

export type WarningKind = 'gap' | 'short-pulse' | 'counter-reset' | 'counter-jump';

/** A problem worth telling the user; the node words it from its catalogue (`edge-counter.warning.<kind>`). */
export interface CountWarning {
  kind: WarningKind;
  params: Record<string, string | number>;
}

export interface CountResult {
  /** Units counted by this sample (0 or more). */
  delta: number;
  total: number;
  /** Source time of the counted edge (the first sample showing the new level), or the sample time. */
  timestamp: number;
  warnings: CountWarning[];
  /** This sample only set the baseline (the key's first sample ever, or after an implausible jump). */
  baseline: boolean;
}

/** A key without good data: since when, and for how long at `now`. */
export interface Gap {
  key: string;
  since: number;
  ageMs: number;
}

function newKeyState(): KeyState {
  return {
    level: null, pending: null, counter: null, lastTs: null, outageSince: null, phaseStart: null, phaseSamples: 0,
    total: 0, suppressed: 0, shortestPhaseMs: null, resets: 0, rollovers: 0, jumps: 0, gaps: 0,
  };
}

/** A result before sample() fills in the total and warnings; one shape for every case. */
function counted(delta: number, timestamp: number, baseline: boolean): CountResult {
  return { delta, total: 0, timestamp, warnings: [], baseline };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown): number => (finite(v) && v >= 0 ? v : 0);
const timeOrNull = (v: unknown): number | null => (finite(v) ? v : null);

/** A persisted key state, field by field (restored data is not trusted); null when it is no key state. */
function restoreKeyState(value: unknown): KeyState | null {
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || !finite(v.total) || typeof v.suppressed !== 'number') return null;
  const p = v.pending as Record<string, unknown> | null;
  const pending = typeof p === 'object' && p !== null && typeof p.level === 'boolean' && finite(p.since) && finite(p.samples)
    ? { level: p.level, since: p.since, samples: p.samples }
    : null;
  return {
    level: typeof v.level === 'boolean' ? v.level : null,
    pending,
    counter: finite(v.counter) ? v.counter : null,
    lastTs: timeOrNull(v.lastTs),
    outageSince: timeOrNull(v.outageSince),
    phaseStart: timeOrNull(v.phaseStart),
    phaseSamples: count(v.phaseSamples),
    total: v.total,
    suppressed: count(v.suppressed),
    shortestPhaseMs: timeOrNull(v.shortestPhaseMs),
    resets: count(v.resets),
    rollovers: count(v.rollovers),
    jumps: count(v.jumps),
    gaps: count(v.gaps),
  };
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * After a restart, a pause longer than this is reported as a gap even when no pulse could have
 * hidden in it: a crash's downtime is worth knowing, while a deploy's fraction of a second is not.
 */
const RESTART_GAP_MS = 1000;

export class EdgeCounter {
  private readonly keys = new Map<string, KeyState>();
  /** Edge modes: how the bit's phases compare with the reading interval (not persisted: it is measured again). */
  private readonly advisor: SamplingAdvisor;
  /** Restored keys not sampled since the restart: nothing read them while Node-RED was down. */
  private readonly resumed = new Set<string>();

  constructor(private readonly options: EdgeCounterOptions, restored?: unknown) {
    this.advisor = new SamplingAdvisor(options.gapWarnMs);
    if (restored && typeof restored === 'object') {
      for (const [key, value] of Object.entries(restored as Record<string, unknown>)) {
        const state = restoreKeyState(value);
        if (state) {
          this.keys.set(key, state);
          this.resumed.add(key);
        }
      }
    }
  }

  /** The live state per key. */
  get state(): ReadonlyMap<string, KeyState> {
    return this.keys;
  }

  /** The state as a JSON-safe object without a prototype (a key "__proto__" is an own property). */
  toJSON(): Record<string, KeyState> {
    const out = Object.create(null) as Record<string, KeyState>;
    for (const [key, state] of this.keys) out[key] = state;
    return out;
  }

  /** Forget one key, or all keys: totals start again at 0. */
  reset(key?: string): void {
    if (key === undefined) this.keys.clear();
    else this.keys.delete(key);
    if (key === undefined) this.resumed.clear();
    else this.resumed.delete(key);
    this.advisor.forget(key);
  }

  /** Edge modes: keys whose pulses are read too slowly to count them all at `now`, with the interval to read at. */
  adviceAt(now: number): SamplingAdvice[] {
    return this.advisor.adviceAt(now);
  }

  /** Edge modes: every key's sampling judged at `now`, also when it is fast enough (the reader's dialog shows it). */
  samplingAt(now: number): SamplingAssessment[] {
    return this.advisor.assessAt(now);
  }

  /** A bad-quality reading of the key: the PLC cannot be read, a gap begins (once per outage). */
  outage(key: string, timestamp: number): void {
    const state = this.stateOf(key);
    state.outageSince ??= timestamp;
  }

  /** Keys whose data is missing at `now`: an outage reported, or no good sample for longer than the gap threshold. */
  gapsAt(now: number): Gap[] {
    const gaps: Gap[] = [];
    for (const [key, state] of this.keys) {
      const since = state.outageSince ?? (state.lastTs !== null && now - state.lastTs > this.options.gapWarnMs ? state.lastTs : null);
      if (since !== null) gaps.push({ key, since, ageMs: Math.max(0, now - since) });
    }
    return gaps;
  }

  /** One sample of the key's signal: a bit (edge modes) or a register value (counter mode). */
  sample(key: string, timestamp: number, value: unknown, field = 'payload'): CountResult {
    const state = this.keys.get(key) ?? newKeyState();
    if (state.lastTs !== null && timestamp < state.lastTs) {
      throw new ValidationError(
        'timestamp',
        `${iso(timestamp)} of key "${key}" is older than its previous sample (${iso(state.lastTs)}): samples must arrive in order`,
      );
    }
    const warnings: CountWarning[] = [];
    // The first sample after a restart (a crash, a deploy): in edge modes a pause longer than a
    // second, or than the shortest phase the key has shown (it could have held a whole pulse
    // nobody read), is a gap even when shorter than the gap threshold. (A counter counts across any pause.)
    const edges = this.options.mode !== 'counter';
    const pause = state.lastTs === null ? 0 : timestamp - state.lastTs;
    const restartGap = this.resumed.delete(key) && edges && state.lastTs !== null &&
      pause > Math.min(state.shortestPhaseMs ?? RESTART_GAP_MS, RESTART_GAP_MS);
    // While running, a pause that could also have held a whole pulse nobody read is a gap: longer
    // than the shortest phase the key has shown, and than two readings at its usual interval (a
    // reading late by less is jitter, and pulses that short are the sampling advisor's concern).
    const interval = edges ? this.advisor.intervalOf(key) : null;
    const unreadPulse = interval !== null && state.shortestPhaseMs !== null && pause > Math.max(state.shortestPhaseMs, 2 * interval);
    const gap = state.lastTs !== null && (state.outageSince !== null || pause > this.options.gapWarnMs || restartGap || unreadPulse);
    if (gap && state.lastTs !== null) {
      // What the signal did in between is unknown: no debounce or phase width spans the gap.
      // The level or counter value before it still counts, so an edge or the units across it
      // are counted once; pulses that began and ended inside it are lost, and said so.
      state.gaps += 1;
      state.pending = null;
      state.phaseStart = null;
      warnings.push({ kind: 'gap', params: { key, from: iso(state.lastTs), to: iso(timestamp), seconds: ((timestamp - state.lastTs) / 1000).toFixed(1) } });
    }
    const result = this.options.mode === 'counter'
      ? this.counterSample(key, state, timestamp, value, field, warnings)
      : this.edgeSample(key, state, timestamp, value, field, warnings, gap);
    state.lastTs = timestamp;
    state.outageSince = null;
    state.total += result.delta;
    this.keys.set(key, state);
    // Filled in rather than spread: this runs for every sample.
    result.total = state.total;
    result.warnings = warnings;
    return result;
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = newKeyState();
      this.keys.set(key, state);
    }
    return state;
  }

  private edgeSample(key: string, state: KeyState, ts: number, value: unknown, field: string, warnings: CountWarning[], afterGap: boolean): CountResult {
    let level: boolean;
    if (typeof value === 'boolean') level = value;
    else if (value === 0 || value === 1) level = value === 1;
    else throw new ValidationError(`${field} of key "${key}"`, `expected a BOOL (true/false or 1/0) in ${this.options.mode} mode, got ${describeValue(value)}`);
    this.advisor.sample(key, ts, afterGap);

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
      this.advisor.phase(key, pending.since, state.level, width, state.phaseSamples);
      if (state.phaseSamples === 1) warnings.push({ kind: 'short-pulse', params: { key, level: state.level ? 'high' : 'low', width } });
    }
    state.level = level;
    state.pending = null;
    state.phaseStart = pending.since;
    state.phaseSamples = pending.samples;
    const mode = this.options.mode;
    const counts = mode === 'both' || (mode === 'rising' && level) || (mode === 'falling' && !level);
    return counted(counts ? 1 : 0, pending.since, false);
  }

  /** The most units the counted machines can make in `elapsedMs` (the plausibility bound of a counter step). */
  private unitsPossibleIn(elapsedMs: number): number {
    if (this.options.idealCycleMs <= 0) return this.options.maxStep;
    return Math.floor((Math.max(0, elapsedMs) * CYCLE_TOLERANCE) / this.options.idealCycleMs) + 1;
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
    if (previous === null || state.lastTs === null) return counted(0, ts, true);
    const limit = this.unitsPossibleIn(ts - state.lastTs);
    const step = reading - previous;
    if (step >= 0 && step <= limit) return counted(step, ts, false);
    if (step < 0 && step + modulus <= limit) {
      state.rollovers += 1;
      return counted(step + modulus, ts, false);
    }
    if (step < 0) {
      // Back, and too far for a rollover: the counter was reset (a PLC restart, an operator) and
      // counted up from 0 since, when that many units were possible in the time.
      const sinceReset = reading <= limit ? reading : 0;
      state.resets += 1;
      warnings.push({ kind: 'counter-reset', params: { key, from: previous, to: reading, counted: sinceReset } });
      return counted(sinceReset, ts, false);
    }
    // More units than possible in the time: the counter was set to another value; nothing is
    // known about the units in between, none are invented.
    state.jumps += 1;
    warnings.push({ kind: 'counter-jump', params: { key, from: previous, to: reading, limit } });
    return counted(0, ts, true);
  }
}

/**
 * The keys of a message's bad-quality readings that this counter counts (the reader could not
 * read the PLC): each starts a gap. Malformed readings are left to the input parser's errors.
 */
export function outageKeysOf(msg: ContractMessage, mode: CountMode, keyBy: KeySource, now: number): { key: string; timestamp: number }[] {
  const wanted = mode === 'counter' ? 'counter' : 'unit-cycle';
  const out: { key: string; timestamp: number }[] = [];
  for (const reading of readingsOf(msg) as unknown[]) {
    const r = reading as { quality?: unknown; signal?: Record<string, unknown>; timestamp?: unknown } | null;
    if (typeof r !== 'object' || r === null || r.quality !== 'bad' || typeof r.signal !== 'object' || r.signal === null || r.signal.kind !== wanted) continue;
    const key = keyBy === 'topic' ? msg.topic : r.signal[keyBy];
    if (typeof key === 'string' && key !== '') out.push({ key, timestamp: finite(r.timestamp) ? r.timestamp : now });
  }
  return out;
}
