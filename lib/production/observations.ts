/**
 * Turns the messages the aggregator receives (reader Readings, edge-counter UnitEvents) into
 * observations, checking every field it relies on.
 */
import { isObjectIdHex, readingsOf, type ContractMessage } from '../shared/messages';
import {
  DEFAULT_TIMESTAMP_WINDOW,
  ValidationError,
  describeValue,
  requireBit,
  requireFiniteNumber,
  requireObject,
  requireRecentTimestamp,
  type RecentWindow,
  type TimestampWindow,
} from '../shared/validate';
import type { Observation } from './hourly-aggregator';

export interface ObservationOptions {
  /** Analog power at or above this many kW means "powered". */
  powerThresholdKw: number;
}

export interface ParsedInput {
  observations: Observation[];
  errors: string[];
  /** Readings skipped because they are not power or unit-cycle signals, or have bad quality. */
  ignored: number;
}

function machineIdOf(value: unknown, field: string): string {
  if (!isObjectIdHex(value)) {
    throw new ValidationError(field, `expected the machine's 24-digit hex id, got ${describeValue(value)}`);
  }
  return value.toLowerCase();
}

interface Times {
  now: number;
  recent: RecentWindow;
  window: TimestampWindow;
}

function unitObservation(units: unknown, times: Times): Observation {
  const event = requireObject(units, 'msg.units');
  const machineId = machineIdOf(event.machineId, 'msg.units.machineId');
  const delta = requireFiniteNumber(event.delta, 'msg.units.delta');
  if (!Number.isInteger(delta) || delta <= 0) throw new ValidationError('msg.units.delta', `expected a positive integer, got ${delta}`);
  const timestamp = requireRecentTimestamp(event.timestamp, 'msg.units.timestamp', times.now, times.recent, times.window);
  // The counter's identity and running total are optional (hand-made unit events lack them).
  if (typeof event.counter !== 'string' || event.counter === '' || event.counter.length > MAX_ID_CHARS) return { kind: 'units', machineId, timestamp, delta };
  const total = requireFiniteNumber(event.total, 'msg.units.total', delta);
  if (!Number.isInteger(total)) throw new ValidationError('msg.units.total', `expected a whole running total, got ${total}`);
  const key = typeof event.key === 'string' ? event.key.slice(0, MAX_ID_CHARS) : '';
  return { kind: 'units', machineId, timestamp, delta, counter: `${event.counter}|${key}`, total };
}

/** Longest counter id or key kept (they only tell counters apart). */
const MAX_ID_CHARS = 200;

function readingObservation(reading: unknown, field: string, times: Times, options: ObservationOptions): Observation | null {
  const r = requireObject(reading, field);
  const signal = requireObject(r.signal, `${field}.signal`);
  if (signal.kind !== 'power' && signal.kind !== 'unit-cycle') return null;
  if (r.quality === 'bad') return null;
  const machineId = machineIdOf(signal.machineId, `${field}.signal.machineId`);
  const timestamp = requireRecentTimestamp(r.timestamp, `${field}.timestamp`, times.now, times.recent, times.window);
  const valueField = field === 'msg' ? 'msg.payload' : `${field}.value`;
  if (signal.kind === 'unit-cycle') {
    return requireBit(r.value, valueField) ? { kind: 'cycle', machineId, timestamp } : { kind: 'idle', machineId, timestamp };
  }
  if (typeof r.value === 'boolean' || signal.dataType === 'BOOL') {
    return { kind: 'power', machineId, timestamp, powered: requireBit(r.value, valueField) };
  }
  const kw = requireFiniteNumber(r.value, valueField);
  return { kind: 'power', machineId, timestamp, powered: kw >= options.powerThresholdKw, kw };
}

/**
 * The observations of one message. `recent` is how far back and ahead of `now` the aggregator
 * can place a time; `window` the package's timestamp window (s7productionTimestampWindow).
 */
export function parseAggregatorInput(
  msg: ContractMessage,
  now: number,
  recent: RecentWindow,
  options: ObservationOptions,
  window: TimestampWindow = DEFAULT_TIMESTAMP_WINDOW,
): ParsedInput {
  const parsed: ParsedInput = { observations: [], errors: [], ignored: 0 };
  const times: Times = { now, recent, window };
  const attempt = (fn: () => Observation | null) => {
    try {
      const obs = fn();
      if (obs) parsed.observations.push(obs);
      else parsed.ignored += 1;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      parsed.errors.push(err.message);
    }
  };
  if (msg.units !== undefined) {
    attempt(() => unitObservation(msg.units, times));
  } else if (msg.readings !== undefined && !Array.isArray(msg.readings)) {
    parsed.errors.push(new ValidationError('msg.readings', `expected an array of readings, got ${describeValue(msg.readings)}`).message);
  } else if (msg.readings !== undefined || msg.signal !== undefined) {
    const perCycle = msg.readings !== undefined;
    readingsOf(msg, now).forEach((reading, i) => attempt(() => readingObservation(reading, perCycle ? `msg.readings[${i}]` : 'msg', times, options)));
  } else {
    parsed.errors.push('msg: expected a reading (msg.signal or msg.readings, from plc-reader) or a unit event (msg.units, from edge-counter)');
  }
  return parsed;
}
