/**
 * Which samples of a reader message the edge counter counts, under which key: unit-cycle
 * bits in the edge modes, counter registers in counter mode; every other signal of a
 * per-cycle message passes by.
 */
import { readingsOf, type ContractMessage } from '../shared/messages';
import {
  DEFAULT_TIMESTAMP_WINDOW,
  ValidationError,
  describeValue,
  requireObject,
  requireRecentTimestamp,
  reservedNameProblem,
  type RecentWindow,
  type TimestampWindow,
} from '../shared/validate';
import type { CountMode } from './edge-counter';

export type KeySource = 'machineId' | 'sensorId' | 'name' | 'topic';
export const KEY_SOURCES: readonly KeySource[] = ['machineId', 'sensorId', 'name', 'topic'];

/** Edge counts accept a week-old replay; the aggregator decides what it can still place. */
export const EDGE_TIME_WINDOW: RecentWindow = { maxAgeMs: 7 * 24 * 3_600_000, maxAheadMs: 5 * 60_000 };

export interface CountSample {
  key: string;
  machineId?: string;
  sensorId?: string;
  timestamp: number;
  value: unknown;
  /** Message field of the value, for errors. */
  field: string;
}

export interface ParsedSamples {
  samples: CountSample[];
  errors: string[];
}

function optionalId(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function sampleOf(
  msg: ContractMessage,
  reading: unknown,
  field: string,
  mode: CountMode,
  keyBy: KeySource,
  now: number,
  window: TimestampWindow,
): CountSample | null {
  const r = requireObject(reading, field);
  const signal = requireObject(r.signal, `${field}.signal`);
  const wanted = mode === 'counter' ? 'counter' : 'unit-cycle';
  if (signal.kind !== wanted || r.quality === 'bad') return null;
  const keyField = keyBy === 'topic' ? 'msg.topic' : `${field}.signal.${keyBy}`;
  const key = keyBy === 'topic' ? msg.topic : signal[keyBy];
  if (typeof key !== 'string' || key === '') {
    throw new ValidationError(keyField, `expected the name of the ${keyBy === 'topic' ? 'counted signal' : 'machine or signal'} (the state key), got ${describeValue(key)}`);
  }
  // The key names the count in the node's state and in the unit events.
  const reserved = reservedNameProblem(key, 'state key');
  if (reserved) throw new ValidationError(keyField, reserved);
  const machineId = optionalId(signal.machineId);
  const sensorId = optionalId(signal.sensorId);
  return {
    key,
    ...(machineId ? { machineId } : {}),
    ...(sensorId ? { sensorId } : {}),
    timestamp: requireRecentTimestamp(r.timestamp, `${field}.timestamp`, now, EDGE_TIME_WINDOW, window),
    value: r.value,
    field: field === 'msg' ? 'msg.payload' : `${field}.value`,
  };
}

/** The samples of one message; `window` is the package's timestamp window (s7productionTimestampWindow). */
export function parseCounterInput(
  msg: ContractMessage,
  mode: CountMode,
  keyBy: KeySource,
  now: number,
  window: TimestampWindow = DEFAULT_TIMESTAMP_WINDOW,
): ParsedSamples {
  const parsed: ParsedSamples = { samples: [], errors: [] };
  if (msg.readings !== undefined && !Array.isArray(msg.readings)) {
    parsed.errors.push(new ValidationError('msg.readings', `expected an array of readings, got ${describeValue(msg.readings)}`).message);
    return parsed;
  }
  if (msg.readings === undefined && msg.signal === undefined) {
    parsed.errors.push('msg: expected a reading from plc-reader: msg.signal (one signal) or msg.readings (one poll cycle)');
    return parsed;
  }
  const perCycle = msg.readings !== undefined;
  readingsOf(msg, now).forEach((reading, i) => {
    try {
      const sample = sampleOf(msg, reading, perCycle ? `msg.readings[${i}]` : 'msg', mode, keyBy, now, window);
      if (sample) parsed.samples.push(sample);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      parsed.errors.push(err.message);
    }
  });
  return parsed;
}
