/**
 * Each node's field checks, by setting name: the dialogs show their messages under the fields,
 * and the runtime's check-env endpoints judge the values of ${ENV} references with the same.
 * The ranges are the runtime's (lib/s7/session/connection-config.ts, the nodes' *_LIMITS).
 */
import { MIN_INTERVAL_MS, MIN_MAPPING_REFRESH_S } from '../../plc-reader/types';
import { EDGE_COUNTER_LIMITS as e } from '../../edge-counter/types';
import { HOURLY_AGGREGATOR_LIMITS as h } from '../../hourly-aggregator/types';
import { atLeast, hostField, integerIn, numberIn, pinMapField, required, timeZoneField, tsapField, zeroOrAtLeast, type FieldCheck } from './field-checks';

export const PLC_CONNECTION_CHECKS: Readonly<Record<string, FieldCheck>> = {
  host: required(hostField),
  port: integerIn(1, 65535),
  rack: integerIn(0, 7),
  slot: integerIn(0, 31),
  localTSAP: tsapField,
  remoteTSAP: tsapField,
  pduSize: integerIn(240, 960),
  connectTimeoutMs: integerIn(100, 60000),
  receiveTimeoutMs: integerIn(100, 60000),
  reconnectMinMs: integerIn(100, 600000),
  reconnectMaxMs: integerIn(100, 3600000),
  maxConnections: integerIn(1, 8),
  poolSize: integerIn(1, 8),
  maxGap: integerIn(0, 512),
};

export const PLC_READER_CHECKS: Readonly<Record<string, FieldCheck>> = {
  intervalMs: atLeast(MIN_INTERVAL_MS),
  heartbeatS: numberIn(0, Infinity),
  mappingRefreshS: atLeast(MIN_MAPPING_REFRESH_S),
  mappingIntervalMs: zeroOrAtLeast(MIN_INTERVAL_MS),
  pinMap: pinMapField,
};

export const EDGE_COUNTER_CHECKS: Readonly<Record<string, FieldCheck>> = {
  minHighMs: integerIn(...e.debounceMs),
  minLowMs: integerIn(...e.debounceMs),
  maxStep: integerIn(...e.maxStep),
  idealCycleSeconds: numberIn(...e.idealCycleSeconds),
  gapWarnSeconds: numberIn(...e.gapWarnSeconds),
};

export const HOURLY_AGGREGATOR_CHECKS: Readonly<Record<string, FieldCheck>> = {
  timeZone: timeZoneField,
  powerTimeoutMinutes: numberIn(...h.timeoutMinutes),
  cycleTimeoutMinutes: numberIn(...h.timeoutMinutes),
  powerThresholdKw: numberIn(...h.powerThresholdKw),
  snapshotMinutes: numberIn(...h.snapshotMinutes),
  graceMinutes: numberIn(...h.graceMinutes),
  tickSeconds: numberIn(...h.tickSeconds),
  retainHours: numberIn(...h.retainHours),
  staleSeconds: numberIn(...h.staleSeconds),
};
