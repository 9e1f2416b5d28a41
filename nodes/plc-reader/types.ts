/** The plc-reader node's settings (shared by runtime and editor). */
import type { OutputMode } from '../../lib/reader/output';
import type { SignalRow } from '../../lib/reader/signals';

export { OUTPUT_MODES, type OutputMode } from '../../lib/reader/output';
export { MIN_INTERVAL_MS, type SignalRow } from '../../lib/reader/signals';

/** Where the signal list comes from: the dialog's table, the application's MongoDB mappings, or both. */
export type SignalSource = 'table' | 'mongo' | 'both';

export interface PlcReaderConfig {
  name: string;
  /** plc-connection config node id. */
  connection: string;
  source: SignalSource;
  signals: SignalRow[];
  /** Default sampling interval, ms (per-row overrides form faster or slower groups). */
  intervalMs: number;
  outputMode: OutputMode;
  /** On-change mode: send each signal at least every N s; 0 = only on change. */
  heartbeatS: number;
  /** mongo-connection config node id (source mongo/both). */
  mongo: string;
  /** How often the mappings are re-read, s. */
  mappingRefreshS: number;
  /** Sampling interval of mapped pins, ms; 0 = intervalMs. */
  mappingIntervalMs: number;
  /** This instance's share of the machines, "department=<id> machine=<id> host=<PLC host>" (usually ${ENV}); empty = all. */
  machineScope: string;
  /** Pin map overrides, "DQ.0=Q0.0, DQ.1=Q4.1"; empty = DQ.i -> Q0.i. */
  pinMap: string;
}

export const PLC_READER_DEFAULTS: Omit<PlcReaderConfig, 'name' | 'connection' | 'mongo'> = {
  source: 'table',
  signals: [],
  intervalMs: 5000,
  outputMode: 'per-signal',
  heartbeatS: 60,
  mappingRefreshS: 60,
  mappingIntervalMs: 0,
  machineScope: '',
  pinMap: '',
};

export const PLC_READER_TYPE = 'plc-reader';
export const MIN_MAPPING_REFRESH_S = 1;

/** Body of POST /plc-reader/test-read. */
export interface TestReadRequest {
  connection: Record<string, unknown>;
  signals: SignalRow[];
  pinMap?: string;
}
