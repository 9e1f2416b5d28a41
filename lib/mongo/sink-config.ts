/** The mongo-sink node's settings (shared by runtime, editor and the pure write engine). */
import { COLLECTIONS } from '../app-contract/names';
import { configReader } from './config-reader';

export type SignalMode = 'off' | 'history' | 'latest' | 'both';
export const SIGNAL_MODES: readonly SignalMode[] = ['off', 'history', 'latest', 'both'];
export type OverflowPolicy = 'drop-oldest' | 'drop-newest';
export type GenericOperation = 'insert' | 'upsert';

export interface MongoSinkConfig {
  name: string;
  /** The mongo-connection config node's id. */
  connection: string;
  signalMode: SignalMode;
  historyCollection: string;
  latestCollection: string;
  writeBadQuality: boolean;
  writeProduction: boolean;
  productionCollection: string;
  writeStatus: boolean;
  machinesCollection: string;
  generic: boolean;
  /** Empty: msg.collection. */
  genericCollection: string;
  genericOperation: GenericOperation;
  /** Comma-separated fields that identify a document for upserts. */
  genericKey: string;
  /** Comma-separated fields stored as ObjectId (24 hex digits required). */
  genericObjectIdFields: string;
  genericTimestamps: boolean;
  batchSize: number;
  flushIntervalMs: number;
  maxEntries: number;
  maxMegabytes: number;
  overflow: OverflowPolicy;
  retryInitialMs: number;
  retryMaxMs: number;
  spool: boolean;
  createIndexes: boolean;
}

export const MONGO_SINK_DEFAULTS: MongoSinkConfig = {
  name: '',
  connection: '',
  signalMode: 'history',
  historyCollection: COLLECTIONS.signals,
  latestCollection: COLLECTIONS.signals,
  writeBadQuality: false,
  writeProduction: true,
  productionCollection: COLLECTIONS.production,
  writeStatus: true,
  machinesCollection: COLLECTIONS.machines,
  generic: false,
  genericCollection: '',
  genericOperation: 'insert',
  genericKey: '',
  genericObjectIdFields: '',
  genericTimestamps: true,
  batchSize: 1000,
  flushIntervalMs: 500,
  maxEntries: 100000,
  maxMegabytes: 64,
  overflow: 'drop-oldest',
  retryInitialMs: 500,
  retryMaxMs: 30000,
  spool: false,
  createIndexes: true,
};

/** A collection name MongoDB accepts and that is not a system collection; else the problem. */
export function collectionNameProblem(name: string): string | undefined {
  if (!name) return 'is empty';
  if (name.startsWith('system.')) return 'must not start with "system."';
  if (name.includes('$') || name.includes('\0')) return 'must not contain "$" or NUL';
  if (name.length > 120) return 'is longer than 120 characters';
  return undefined;
}

/** The configuration's own mistakes (shown in the editor and reported at deploy). */
export function sinkConfigProblems(c: MongoSinkConfig): string[] {
  const problems: string[] = [];
  const named: [string, string, boolean][] = [
    ['historyCollection', c.historyCollection, c.signalMode === 'history' || c.signalMode === 'both'],
    ['latestCollection', c.latestCollection, c.signalMode === 'latest' || c.signalMode === 'both'],
    ['productionCollection', c.productionCollection, c.writeProduction],
    ['machinesCollection', c.machinesCollection, c.writeStatus],
  ];
  for (const [field, value, used] of named) {
    const problem = used ? collectionNameProblem(value) : undefined;
    if (problem) problems.push(`${field} ${problem}`);
  }
  if (c.signalMode === 'both' && c.historyCollection === c.latestCollection) {
    problems.push('history and latest values need different collections (an upsert by sensorId would overwrite a history document)');
  }
  if (c.generic && c.genericCollection && collectionNameProblem(c.genericCollection)) {
    problems.push(`genericCollection ${collectionNameProblem(c.genericCollection)}`);
  }
  if (c.generic && c.genericOperation === 'upsert' && splitList(c.genericKey).length === 0) problems.push('genericKey: an upsert needs at least one key field');
  if (!(c.batchSize >= 1)) problems.push('batchSize must be at least 1');
  if (!(c.maxEntries >= c.batchSize)) problems.push('maxEntries must be at least batchSize');
  return problems;
}

export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A stored config merged with the defaults (older flows lack newer fields; numbers may be text). */
export function normalizeSinkConfig(raw: Partial<Record<keyof MongoSinkConfig, unknown>>): MongoSinkConfig {
  const d = MONGO_SINK_DEFAULTS;
  const { str, bool, num } = configReader(raw, d);
  return {
    name: str('name'),
    connection: str('connection'),
    signalMode: SIGNAL_MODES.includes(raw.signalMode as SignalMode) ? (raw.signalMode as SignalMode) : d.signalMode,
    historyCollection: str('historyCollection'),
    latestCollection: str('latestCollection'),
    writeBadQuality: bool('writeBadQuality'),
    writeProduction: bool('writeProduction'),
    productionCollection: str('productionCollection'),
    writeStatus: bool('writeStatus'),
    machinesCollection: str('machinesCollection'),
    generic: bool('generic'),
    genericCollection: str('genericCollection'),
    genericOperation: raw.genericOperation === 'upsert' ? 'upsert' : 'insert',
    genericKey: str('genericKey'),
    genericObjectIdFields: str('genericObjectIdFields'),
    genericTimestamps: bool('genericTimestamps'),
    batchSize: Math.floor(num('batchSize', 1)),
    flushIntervalMs: num('flushIntervalMs', 0),
    maxEntries: Math.floor(num('maxEntries', 1)),
    maxMegabytes: num('maxMegabytes', 0.001),
    overflow: raw.overflow === 'drop-newest' ? 'drop-newest' : 'drop-oldest',
    retryInitialMs: num('retryInitialMs', 1),
    retryMaxMs: num('retryMaxMs', 1),
    spool: bool('spool'),
    createIndexes: bool('createIndexes'),
  };
}
