/** The edge-counter node's settings (shared by runtime and editor). */
export type EdgeCounterMode = 'rising' | 'falling' | 'both' | 'counter';
export type EdgeCounterKeyBy = 'machineId' | 'sensorId' | 'name' | 'topic';

export interface EdgeCounterConfig {
  name: string;
  mode: EdgeCounterMode;
  /** Which message field identifies the counted thing (the state key). */
  keyBy: EdgeCounterKeyBy;
  minHighMs: number;
  minLowMs: number;
  counterBits: 16 | 32;
  maxStep: number;
  /** Fastest possible cycle of the counted machines, s (0 = not set, max. step bounds a counter step). */
  idealCycleSeconds: number;
  /** No good reading for longer than this is a gap in the data. */
  gapWarnSeconds: number;
  /** Context store for the counts ("" = the default store). */
  store: string;
}

export const EDGE_COUNTER_CONFIG_DEFAULTS: EdgeCounterConfig = {
  name: '',
  mode: 'rising',
  keyBy: 'machineId',
  minHighMs: 0,
  minLowMs: 0,
  counterBits: 16,
  maxStep: 1000,
  idealCycleSeconds: 0,
  gapWarnSeconds: 10,
  store: '',
};

/** Accepted [min, max] of the numeric settings, the same in the dialog and at run time. */
export const EDGE_COUNTER_LIMITS = {
  debounceMs: [0, 3_600_000],
  maxStep: [1, 2 ** 31],
  idealCycleSeconds: [0, 86_400],
  gapWarnSeconds: [0.1, 86_400],
} as const;

export const EDGE_COUNTER_TYPE = 'edge-counter';
