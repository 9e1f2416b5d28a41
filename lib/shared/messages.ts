/**
 * The message contract between the package's nodes (docs/ARCHITECTURE.md).
 * Identity is 24-hex strings, times are epoch milliseconds.
 */

export type SignalKind = 'power' | 'unit-cycle' | 'counter' | 'other';
export const SIGNAL_KINDS: readonly SignalKind[] = ['power', 'unit-cycle', 'counter', 'other'];

export interface SignalIdentity {
  name: string;
  address: string;
  dataType: string;
  kind: SignalKind;
  machineId?: string;
  sensorId?: string;
  pinId?: string;
}

export type Quality = 'good' | 'bad';

export interface Reading {
  signal: SignalIdentity;
  value: unknown;
  quality: Quality;
  error?: string;
  /** Source read time: when the PLC answered, epoch ms. */
  timestamp: number;
}

export type UnitSource = 'rising' | 'falling' | 'both' | 'counter';

export interface UnitEvent {
  key: string;
  machineId?: string;
  sensorId?: string;
  delta: number;
  /** The key's running total in the counter that sent the event (continues across restarts). */
  total: number;
  /** Id of the edge-counter node that counted: with `total`, lets a consumer tell re-sent units from new ones. */
  counter?: string;
  timestamp: number;
  source: UnitSource;
}

export type MachineStatus = 'running' | 'stoppage' | 'stopped_yet_producing' | 'inactive';

/** The hour snapshot is the application's shape: lib/app-contract owns it. */
export type { AutoStoppage, HourSnapshot, HourStatus, PowerStats } from '../app-contract/snapshot';

export interface MachineStatusEvent {
  machineId: string;
  status: MachineStatus;
  previous?: MachineStatus;
  hasPower: boolean;
  hasCycle: boolean;
  timestamp: number;
}

export const TOPIC_UNITS = 'units';
export const TOPIC_PRODUCTION = 'production';
export const TOPIC_MACHINE_STATUS = 'machine-status';

/** A message as the nodes see it: only the fields of the contract are typed. */
export interface ContractMessage {
  topic?: string;
  payload?: unknown;
  signal?: SignalIdentity;
  quality?: Quality;
  error?: string;
  timestamp?: number;
  readings?: Reading[];
  units?: UnitEvent;
  [key: string]: unknown;
}

/**
 * The readings a message carries, in either shape: a per-signal message (msg.signal with
 * msg.payload, msg.quality, msg.error, msg.timestamp) as one reading, or a per-cycle message's
 * msg.readings. Unchecked, as the message has them: every consumer validates the fields it
 * uses (a bad timestamp is reported, not replaced). A per-signal message without a timestamp
 * was read `now`. A msg.readings that is not an array gives none; the consumer reports it.
 */
export function readingsOf(msg: ContractMessage, now: number = Date.now()): unknown[] {
  if (msg.readings !== undefined) return Array.isArray(msg.readings) ? msg.readings : [];
  if (msg.signal === undefined) return [];
  return [{
    signal: msg.signal,
    value: msg.payload,
    quality: msg.quality ?? 'good',
    ...(msg.error === undefined ? {} : { error: msg.error }),
    timestamp: msg.timestamp === undefined ? now : msg.timestamp,
  }];
}

const OBJECT_ID_HEX = /^[0-9a-fA-F]{24}$/;

/** True for the 24-hex-digit form of a MongoDB ObjectId. */
export function isObjectIdHex(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID_HEX.test(value);
}
