/**
 * Which samples of a reader message the edge counter counts, under which key: unit-cycle
 * bits in the edge modes, counter registers in counter mode; every other signal of a
 * per-cycle message passes by.
 */
import type { ContractMessage } from '../shared/messages';
import type { CountMode } from './edge-counter';
import { InputError, checkObject, checkTimestamp, describeValue, type TimeWindow } from './input';

export type KeySource = 'machineId' | 'sensorId' | 'name' | 'topic';
export const KEY_SOURCES: readonly KeySource[] = ['machineId', 'sensorId', 'name', 'topic'];

/** Edge counts accept a week-old replay; the aggregator decides what it can still place. */
export const EDGE_TIME_WINDOW: TimeWindow = { maxAgeMs: 7 * 24 * 3_600_000, maxAheadMs: 5 * 60_000 };

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
): CountSample | null {
  const r = checkObject(reading, field);
  const signal = checkObject(r.signal, `${field}.signal`);
  const wanted = mode === 'counter' ? 'counter' : 'unit-cycle';
  if (signal.kind !== wanted || r.quality === 'bad') return null;
  const keyField = keyBy === 'topic' ? 'msg.topic' : `${field}.signal.${keyBy}`;
  const key = keyBy === 'topic' ? msg.topic : signal[keyBy];
  if (typeof key !== 'string' || key === '') {
    throw new InputError(`${keyField} must name the ${keyBy === 'topic' ? 'counted signal' : 'machine or signal'} (the state key), got ${describeValue(key)}`);
  }
  const machineId = optionalId(signal.machineId);
  const sensorId = optionalId(signal.sensorId);
  return {
    key,
    ...(machineId ? { machineId } : {}),
    ...(sensorId ? { sensorId } : {}),
    timestamp: checkTimestamp(r.timestamp, `${field}.timestamp`, now, EDGE_TIME_WINDOW),
    value: r.value,
    field: field === 'msg' ? 'msg.payload' : `${field}.value`,
  };
}

export function parseCounterInput(msg: ContractMessage, mode: CountMode, keyBy: KeySource, now: number): ParsedSamples {
  const parsed: ParsedSamples = { samples: [], errors: [] };
  const attempt = (reading: unknown, field: string) => {
    try {
      const sample = sampleOf(msg, reading, field, mode, keyBy, now);
      if (sample) parsed.samples.push(sample);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      parsed.errors.push(err.message);
    }
  };
  if (msg.readings !== undefined) {
    if (Array.isArray(msg.readings)) msg.readings.forEach((reading, i) => attempt(reading, `msg.readings[${i}]`));
    else parsed.errors.push(`msg.readings must be an array of readings, got ${describeValue(msg.readings)}`);
  } else if (msg.signal !== undefined) {
    attempt({ signal: msg.signal, value: msg.payload, quality: msg.quality, timestamp: msg.timestamp === undefined ? now : msg.timestamp }, 'msg');
  } else {
    parsed.errors.push('expected a reading from plc-reader: msg.signal (one signal) or msg.readings (one poll cycle)');
  }
  return parsed;
}
