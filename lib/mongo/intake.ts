/**
 * From a Node-RED message to work items: validated, plain (hex ids, epoch ms), serialisable
 * for the disk spool. The driver's BSON types are only made when a batch is written.
 */
import {
  TOPIC_MACHINE_STATUS,
  TOPIC_PRODUCTION,
  isObjectIdHex,
  readingsOf,
  type ContractMessage,
  type MachineStatus,
} from '../shared/messages';
import { dayStart, validateSnapshot, type ValidSnapshot } from '../app-contract';
import {
  DEFAULT_TIMESTAMP_WINDOW,
  ValidationError,
  assertSafeValue,
  describeValue,
  requireEpochMs,
  requireObject,
  requireObjectIdHex,
  requireOneOf,
  requireTimestamp,
  reservedNameProblem,
  type TimestampWindow,
} from '../shared/validate';
import { collectionNameProblem, splitList, type GenericOperation, type MongoSinkConfig } from './sink-config';

export const MACHINE_STATUSES: readonly MachineStatus[] = ['running', 'stoppage', 'stopped_yet_producing', 'inactive'];

export interface SignalItem {
  kind: 'history' | 'latest';
  collection: string;
  /** _id of the history document, chosen before the first attempt so retries cannot duplicate it. */
  id?: string;
  sensorId: string;
  machineId: string;
  value: unknown;
  timestamp: number;
}
export interface ProductionItem {
  kind: 'production';
  collection: string;
  snapshot: ValidSnapshot;
}
export interface StatusItem {
  kind: 'status';
  collection: string;
  machineId: string;
  status: MachineStatus;
  timestamp: number;
}
export interface GenericItem {
  kind: 'generic';
  collection: string;
  operation: GenericOperation;
  /** _id for inserts that have none, chosen once (idempotent retries). */
  id?: string;
  doc: Record<string, unknown>;
  key: string[];
  objectIdFields: string[];
  timestamps: boolean;
}
export type WorkItem = SignalItem | ProductionItem | StatusItem | GenericItem;

export interface Intake {
  items: WorkItem[];
  /** Parts of the message deliberately not written, with why (reported, never silent). */
  skipped: string[];
  /** Parts that were invalid; the rest of the message is still written. */
  errors: ValidationError[];
}

/**
 * The sink's settings as intake reads them: the node's config, and the package's timestamp
 * window (the Node-RED setting s7productionTimestampWindow; the default when absent).
 */
export type IntakeConfig = MongoSinkConfig & { timestampWindow?: TimestampWindow };

/** A time from a message (epoch ms, Date or ISO string) inside the timestamp window. */
function timeOf(value: unknown, field: string, now: number, window: TimestampWindow): number {
  return requireTimestamp(requireEpochMs(value, field), field, now, window);
}

/** A snapshot's times (its day, stoppages and last activity) inside the timestamp window. */
function checkSnapshotTimes(snapshot: ValidSnapshot, now: number, window: TimestampWindow): ValidSnapshot {
  timeOf(dayStart(snapshot.date).getTime(), 'payload.date', now, window);
  snapshot.stoppages.forEach((st, i) => {
    timeOf(st.startTime, `payload.stoppages.${i}.startTime`, now, window);
    if (st.endTime !== null) timeOf(st.endTime, `payload.stoppages.${i}.endTime`, now, window);
  });
  if (snapshot.lastActivityTime !== undefined) timeOf(snapshot.lastActivityTime, 'payload.lastActivityTime', now, window);
  return snapshot;
}

function isSnapshotLike(payload: unknown): boolean {
  return !!payload && typeof payload === 'object' && 'revision' in payload && 'hour' in payload && 'date' in payload;
}

/**
 * Splits a message into work items. Throws a ValidationError when nothing in it can be written.
 * `now` is the clock the timestamp window is measured from.
 */
export function intakeMessage(msg: ContractMessage, config: IntakeConfig, newId: () => string, now: number = Date.now()): Intake {
  const window = config.timestampWindow ?? DEFAULT_TIMESTAMP_WINDOW;
  if (msg.topic === TOPIC_PRODUCTION || isSnapshotLike(msg.payload)) {
    if (!config.writeProduction) return { items: [], skipped: ['production snapshot: production writes are off'], errors: [] };
    const snapshot = checkSnapshotTimes(validateSnapshot(msg.payload), now, window);
    return { items: [{ kind: 'production', collection: config.productionCollection, snapshot }], skipped: [], errors: [] };
  }
  if (msg.topic === TOPIC_MACHINE_STATUS) {
    if (!config.writeStatus) return { items: [], skipped: ['machine status: status writes are off'], errors: [] };
    return { items: [statusItem(msg.payload, config, now, window)], skipped: [], errors: [] };
  }
  if (msg.readings !== undefined && !Array.isArray(msg.readings)) throw new ValidationError('msg.readings', `expected an array of readings, got ${describeValue(msg.readings)}`);
  const readings = readingsOf(msg, now);
  if (readings.length > 0) return intakeReadings(msg, readings, config, newId, now, window);
  if (Array.isArray(msg.readings)) return { items: [], skipped: ['readings: empty list'], errors: [] };
  if (config.generic) return { items: genericItems(msg, config, newId), skipped: [], errors: [] };
  throw new ValidationError('msg', 'not a reading (msg.signal or msg.readings), production snapshot (topic "production") or machine status (topic "machine-status"), and generic writes are off');
}

function statusItem(payload: unknown, config: MongoSinkConfig, now: number, window: TimestampWindow): StatusItem {
  const p = requireObject(payload, 'payload');
  return {
    kind: 'status',
    collection: config.machinesCollection,
    machineId: requireObjectIdHex(p.machineId, 'payload.machineId'),
    status: requireOneOf(p.status, MACHINE_STATUSES, 'payload.status'),
    timestamp: p.timestamp === undefined ? now : timeOf(p.timestamp, 'payload.timestamp', now, window),
  };
}

function intakeReadings(msg: ContractMessage, readings: unknown[], config: MongoSinkConfig, newId: () => string, now: number, window: TimestampWindow): Intake {
  const intake: Intake = { items: [], skipped: [], errors: [] };
  if (config.signalMode === 'off') {
    intake.skipped.push('readings: signal writes are off');
    return intake;
  }
  const perCycle = msg.readings !== undefined;
  readings.forEach((reading, i) => {
    const field = perCycle ? `readings.${i}` : 'msg';
    try {
      const r = requireObject(reading, field);
      const signal = requireObject(r.signal, `${field}.signal`);
      const name = typeof signal.name === 'string' ? signal.name : `#${i}`;
      if (r.quality === 'bad' && !config.writeBadQuality) {
        intake.skipped.push(`${name}: bad quality`);
        return;
      }
      if (signal.sensorId === undefined || signal.machineId === undefined) {
        intake.skipped.push(`${name}: no sensorId/machineId (not an application sensor)`);
        return;
      }
      // The usual cases are checked first; field names are spelled out only for an error (a
      // message carries hundreds of readings).
      const sensorId = isObjectIdHex(signal.sensorId) ? signal.sensorId.toLowerCase() : requireObjectIdHex(signal.sensorId, `${field}.signal.sensorId`);
      const machineId = isObjectIdHex(signal.machineId) ? signal.machineId.toLowerCase() : requireObjectIdHex(signal.machineId, `${field}.signal.machineId`);
      // The application stores pins as the numbers 0/1.
      let value =
        typeof r.value === 'boolean' ? (r.value ? 1 : 0) : typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : assertSafeValue(r.value, perCycle ? `${field}.value` : 'payload');
      if (value === undefined) {
        // A failed read has no value; when bad readings are wanted, it is stored as null.
        if (r.quality !== 'bad') throw new ValidationError(perCycle ? `${field}.value` : 'payload', 'no value');
        value = null;
      }
      const timestamp = timeOf(r.timestamp, perCycle ? `${field}.timestamp` : 'timestamp', now, window);
      if (config.signalMode === 'history' || config.signalMode === 'both') {
        intake.items.push({ kind: 'history', collection: config.historyCollection, id: newId(), sensorId, machineId, value, timestamp });
      }
      if (config.signalMode === 'latest' || config.signalMode === 'both') {
        intake.items.push({ kind: 'latest', collection: config.latestCollection, sensorId, machineId, value, timestamp });
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      intake.errors.push(err);
    }
  });
  if (intake.items.length === 0 && intake.errors.length > 0) {
    throw intake.errors.length === 1 ? intake.errors[0] : new ValidationError(intake.errors[0].field, `${intake.errors.map((e) => e.message).join('; ')}`);
  }
  return intake;
}

function genericItems(msg: ContractMessage, config: MongoSinkConfig, newId: () => string): GenericItem[] {
  const collection = config.genericCollection || (typeof msg.collection === 'string' ? msg.collection : '');
  const problem = collectionNameProblem(collection);
  if (problem) throw new ValidationError(config.genericCollection ? 'genericCollection' : 'msg.collection', `collection name ${problem}`);
  const docs = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
  if (docs.length === 0) throw new ValidationError('payload', 'empty array: nothing to write');
  const key = fieldList(config.genericKey, 'genericKey');
  const objectIdFields = fieldList(config.genericObjectIdFields, 'genericObjectIdFields');
  return docs.map((raw, i) => {
    const field = Array.isArray(msg.payload) ? `payload.${i}` : 'payload';
    const doc = assertSafeValue(requireObject(raw, field), field);
    for (const f of objectIdFields) {
      if (Object.hasOwn(doc, f) && doc[f] !== undefined && doc[f] !== null) requireObjectIdHex(doc[f], `${field}.${f}`);
    }
    if (config.genericOperation === 'upsert') {
      for (const k of key) if (!Object.hasOwn(doc, k) || doc[k] === undefined) throw new ValidationError(`${field}.${k}`, 'upsert key field missing');
    }
    const item: GenericItem = { kind: 'generic', collection, operation: config.genericOperation, doc, key, objectIdFields, timestamps: config.genericTimestamps };
    if (config.genericOperation === 'insert' && doc._id === undefined) item.id = newId();
    return item;
  });
}

/** A comma-separated list of document fields from the node's config; reserved names are refused. */
function fieldList(text: string, setting: string): string[] {
  const fields = splitList(text);
  for (const f of fields) {
    const problem = reservedNameProblem(f, 'field');
    if (problem) throw new ValidationError(setting, problem);
  }
  return fields;
}
