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
  gapWarnSeconds: 10,
  store: '',
};

export const EDGE_COUNTER_TYPE = 'edge-counter';
/** Palette colour of the counting and aggregating nodes. */
export const PRODUCTION_COLOR = '#5BB9BF';
