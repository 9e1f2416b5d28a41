/**
 * The plc-connection node's settings as the dialog stores them, per-family presets, and their
 * validation into S7ConnectionOptions. Pure: the editor bundle uses the presets.
 */
import type { S7ConnectionOptions } from '../connection';
import { DEFAULT_ENGINE, S7_ENGINES, type S7Engine } from '../engine';
import { DEFAULT_MAX_CONNECTIONS } from '../pool-sizer';
import { hostProblem, hostProblemText } from '../../shared/host';

export type PlcFamily = 'S7-300/400' | 'S7-1200/1500' | 'LOGO' | 'S7-200' | 'custom';
export type Addressing = 'rack-slot' | 'tsap';
export type ConnectionType = 'PG' | 'OP' | 'S7_BASIC';

/** As the dialog stores them: numbers may arrive as strings from old flows or hand edits. */
export interface PlcConnectionSettings {
  /** The S7 client; flows saved before the setting have none and get the default. */
  engine: S7Engine;
  family: PlcFamily;
  host: string;
  port: number | string;
  addressing: Addressing;
  rack: number | string;
  slot: number | string;
  /** Hex as typed, e.g. "0x0100" or "0100". */
  localTSAP: string;
  remoteTSAP: string;
  connectionType: ConnectionType;
  pduSize: number | string;
  connectTimeoutMs: number | string;
  receiveTimeoutMs: number | string;
  reconnectMinMs: number | string;
  reconnectMaxMs: number | string;
  /** At most this many parallel S7 connections; the adaptive pool opens more than one only while the cycles do not fit. */
  maxConnections: number | string;
  /** Always maxConnections connections instead of adapting (booleans may arrive as strings). */
  fixedConnections: boolean | string;
  /**
   * Flows saved before the adaptive pool: a fixed number of connections. When set it wins
   * (legacyConnections); the dialog turns it into the two settings above and clears it.
   */
  poolSize?: number | string;
  /** Planner: bytes two items may lie apart and still be read as one block. */
  maxGap: number | string;
}

export const CONNECTION_DEFAULTS: PlcConnectionSettings = {
  engine: DEFAULT_ENGINE,
  family: 'S7-1200/1500',
  host: '',
  port: 102,
  addressing: 'rack-slot',
  rack: 0,
  slot: 1,
  localTSAP: '0x0100',
  remoteTSAP: '0x0200',
  connectionType: 'PG',
  // The PLC answers a PDU request with the smaller of the request and its own maximum: asking
  // for the largest gets the most every CPU of the family offers (S7-1200 240, S7-1500 960).
  pduSize: 960,
  connectTimeoutMs: 3000,
  receiveTimeoutMs: 2000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30000,
  // 3: see the plc-connection help (connection resources of an S7-1200, libuv's thread pool)
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  fixedConnections: false,
  maxGap: 16,
};

export interface FamilyPreset {
  addressing: Addressing;
  rack?: number;
  slot?: number;
  localTSAP?: string;
  remoteTSAP?: string;
  pduSize: number;
  /** Shown beside the PDU field. */
  pduHint: string;
}

export const PLC_FAMILY_PRESETS: Record<Exclude<PlcFamily, 'custom'>, FamilyPreset> = {
  'S7-300/400': { addressing: 'rack-slot', rack: 0, slot: 2, pduSize: 480, pduHint: 'the PLC lowers it to its own: S7-300 240, S7-400 480' },
  'S7-1200/1500': { addressing: 'rack-slot', rack: 0, slot: 1, pduSize: 960, pduHint: 'the PLC lowers it to its own: S7-1200 240, S7-1500 960' },
  LOGO: { addressing: 'tsap', localTSAP: '0x0100', remoteTSAP: '0x0200', pduSize: 240, pduHint: 'LOGO!: 240' },
  'S7-200': { addressing: 'tsap', localTSAP: '0x1000', remoteTSAP: '0x1001', pduSize: 240, pduHint: 'S7-200: 240' },
};

export const PDU_SIZES = [240, 480, 960] as const;

/** A field holding only an environment variable reference, ${NAME}: Node-RED substitutes it at deploy. */
export const ENV_REFERENCE = /^\$\{[^}]+\}$/;

/** An editor validator that also accepts an ${ENV} reference. */
export const orEnv = (check: (v: unknown) => boolean) => (v: unknown): boolean => ENV_REFERENCE.test(String(v).trim()) || check(v);

/** "0x0100", "0100", "100h" -> 256. */
export function parseTsap(text: string): number {
  const t = text.trim().replace(/^0x/i, '').replace(/h$/i, '');
  if (!/^[0-9a-f]{1,4}$/i.test(t)) throw new Error(`TSAP "${text}" is not a hex number of up to 4 digits (e.g. 0x0100)`);
  return parseInt(t, 16);
}

function integer(settings: PlcConnectionSettings, key: keyof PlcConnectionSettings, min: number, max: number): number {
  // an empty field (e.g. an unset ${ENV} in the default flow) means the default
  const given = settings[key];
  const raw = given === undefined || given === null || String(given).trim() === '' ? CONNECTION_DEFAULTS[key] : given;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${key} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null && String(v).trim() !== '';

/**
 * The old setting "Connections" (poolSize, a fixed count) as the adaptive pool's settings: 1, the
 * old default that nobody chose for speed, becomes the adaptive default; 2 to 8 stay that fixed
 * count, as the flow's author asked. Undefined when the node has no old setting.
 */
export function legacyConnections(poolSize: unknown): Pick<PlcConnectionSettings, 'maxConnections' | 'fixedConnections'> | undefined {
  if (!isSet(poolSize)) return undefined;
  const n = Number(String(poolSize).trim());
  if (n === 1) return { maxConnections: DEFAULT_MAX_CONNECTIONS, fixedConnections: false };
  return { maxConnections: String(poolSize).trim(), fixedConnections: true };
}

function connectionCount(settings: PlcConnectionSettings): Pick<S7ConnectionOptions, 'maxConnections' | 'fixedConnections'> {
  const legacy = legacyConnections(settings.poolSize);
  const chosen = legacy ? { ...settings, ...legacy } : settings;
  const fixed = chosen.fixedConnections;
  if (![true, false, 'true', 'false', '', undefined, null].includes(fixed as never)) {
    throw new Error(`fixedConnections must be true or false, got "${String(fixed)}"`);
  }
  const key = legacy ? 'poolSize' : 'maxConnections';
  return { maxConnections: integer({ ...chosen, [key]: chosen.maxConnections }, key, 1, 8), fixedConnections: fixed === true || fixed === 'true' };
}

/** Validates dialog settings; throws an Error naming the field that is wrong. */
export function toConnectionOptions(input: Partial<PlcConnectionSettings>): S7ConnectionOptions {
  const settings: PlcConnectionSettings = { ...CONNECTION_DEFAULTS, ...input };
  if (!settings.connectionType) settings.connectionType = CONNECTION_DEFAULTS.connectionType;
  const engine = isSet(settings.engine) ? String(settings.engine).trim() : CONNECTION_DEFAULTS.engine;
  if (!S7_ENGINES.includes(engine as S7Engine)) throw new Error(`engine must be ${S7_ENGINES.join(' or ')}, got "${String(settings.engine)}"`);
  const host = String(settings.host ?? '').trim();
  if (!host) throw new Error('host is empty (in the default flow: set PLC_HOST)');
  const problem = hostProblem(host);
  if (problem) throw new Error(hostProblemText(problem, host));
  const options: S7ConnectionOptions = {
    host,
    engine: engine as S7Engine,
    port: integer(settings, 'port', 1, 65535),
    connectionType: settings.connectionType,
    pduSize: integer(settings, 'pduSize', 240, 960),
    connectTimeoutMs: integer(settings, 'connectTimeoutMs', 100, 60000),
    receiveTimeoutMs: integer(settings, 'receiveTimeoutMs', 100, 60000),
    reconnectMinMs: integer(settings, 'reconnectMinMs', 100, 600000),
    reconnectMaxMs: integer(settings, 'reconnectMaxMs', 100, 3600000),
    ...connectionCount(settings),
    maxGap: integer(settings, 'maxGap', 0, 512),
  };
  if (!['PG', 'OP', 'S7_BASIC'].includes(String(options.connectionType))) {
    throw new Error(`connectionType must be PG, OP or S7_BASIC, got "${String(options.connectionType)}"`);
  }
  if (options.reconnectMaxMs! < options.reconnectMinMs!) {
    throw new Error(`reconnectMaxMs (${options.reconnectMaxMs}) is below reconnectMinMs (${options.reconnectMinMs})`);
  }
  if (settings.addressing === 'tsap') {
    options.localTSAP = parseTsap(String(settings.localTSAP || CONNECTION_DEFAULTS.localTSAP));
    options.remoteTSAP = parseTsap(String(settings.remoteTSAP || CONNECTION_DEFAULTS.remoteTSAP));
  } else {
    options.rack = integer(settings, 'rack', 0, 7);
    options.slot = integer(settings, 'slot', 0, 31);
  }
  return options;
}
