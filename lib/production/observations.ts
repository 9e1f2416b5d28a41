/**
 * Turns the messages the aggregator receives (reader Readings, edge-counter UnitEvents) into
 * observations, checking every field it relies on.
 */
import { isObjectIdHex, type ContractMessage } from '../shared/messages';
import type { Observation } from './hourly-aggregator';
import { InputError, checkBit, checkFiniteNumber, checkObject, checkTimestamp, describeValue, type TimeWindow } from './input';

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
    throw new InputError(`${field} must be the machine's 24-digit hex id, got ${describeValue(value)}`);
  }
  return value.toLowerCase();
}

function unitObservation(units: unknown, now: number, window: TimeWindow): Observation {
  const event = checkObject(units, 'msg.units');
  const machineId = machineIdOf(event.machineId, 'msg.units.machineId');
  const delta = checkFiniteNumber(event.delta, 'msg.units.delta');
  if (!Number.isInteger(delta) || delta <= 0) throw new InputError(`msg.units.delta must be a positive integer, got ${delta}`);
  const timestamp = checkTimestamp(event.timestamp, 'msg.units.timestamp', now, window);
  return { kind: 'units', machineId, timestamp, delta };
}

function readingObservation(reading: unknown, field: string, now: number, window: TimeWindow, options: ObservationOptions): Observation | null {
  const r = checkObject(reading, field);
  const signal = checkObject(r.signal, `${field}.signal`);
  if (signal.kind !== 'power' && signal.kind !== 'unit-cycle') return null;
  if (r.quality === 'bad') return null;
  const machineId = machineIdOf(signal.machineId, `${field}.signal.machineId`);
  const timestamp = checkTimestamp(r.timestamp, `${field}.timestamp`, now, window);
  const valueField = field === 'msg' ? 'msg.payload' : `${field}.value`;
  if (signal.kind === 'unit-cycle') {
    return checkBit(r.value, valueField) ? { kind: 'cycle', machineId, timestamp } : { kind: 'idle', machineId, timestamp };
  }
  if (typeof r.value === 'boolean' || signal.dataType === 'BOOL') {
    return { kind: 'power', machineId, timestamp, powered: checkBit(r.value, valueField) };
  }
  const kw = checkFiniteNumber(r.value, valueField);
  return { kind: 'power', machineId, timestamp, powered: kw >= options.powerThresholdKw, kw };
}

export function parseAggregatorInput(msg: ContractMessage, now: number, window: TimeWindow, options: ObservationOptions): ParsedInput {
  const parsed: ParsedInput = { observations: [], errors: [], ignored: 0 };
  const attempt = (fn: () => Observation | null) => {
    try {
      const obs = fn();
      if (obs) parsed.observations.push(obs);
      else parsed.ignored += 1;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      parsed.errors.push(err.message);
    }
  };
  if (msg.units !== undefined) {
    attempt(() => unitObservation(msg.units, now, window));
  } else if (msg.readings !== undefined) {
    if (!Array.isArray(msg.readings)) {
      parsed.errors.push(`msg.readings must be an array of readings, got ${describeValue(msg.readings)}`);
    } else {
      msg.readings.forEach((reading, i) => attempt(() => readingObservation(reading, `msg.readings[${i}]`, now, window, options)));
    }
  } else if (msg.signal !== undefined) {
    attempt(() =>
      readingObservation(
        { signal: msg.signal, value: msg.payload, quality: msg.quality, timestamp: msg.timestamp === undefined ? now : msg.timestamp },
        'msg',
        now,
        window,
        options,
      ),
    );
  } else {
    parsed.errors.push('expected a reading (msg.signal or msg.readings, from plc-reader) or a unit event (msg.units, from edge-counter)');
  }
  return parsed;
}
