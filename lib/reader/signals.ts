/**
 * Signal rows as the reader's dialog, its CSV import and the MongoDB mapping source produce
 * them, and their validation into readable signals. Pure: the editor bundle uses it too.
 */
import { DEFAULT_PIN_MAP, formatDataType, parseAddress, type PinMap, type S7Address } from '../s7/address';
import { isObjectIdHex, SIGNAL_KINDS, type SignalIdentity, type SignalKind } from '../shared/messages';
import { nullObject, reservedNameProblem } from '../shared/validate';

/** One row of the signal table. Strings as typed; numbers optional. */
export interface SignalRow {
  name: string;
  address: string;
  /** Empty when the address implies it (DBX -> BOOL, DBD -> DWORD, REAL4 -> REAL, DQ.i -> BOOL). */
  dataType?: string;
  kind?: SignalKind;
  machineId?: string;
  sensorId?: string;
  /** Polling interval of this signal, ms; absent or 0 = the reader's interval. */
  intervalMs?: number;
  /** On-change mode: a numeric change smaller than or equal to this is not sent. */
  deadband?: number;
  comment?: string;
}

/** A validated signal: its identity for messages and the parsed address for the PLC. */
export interface ResolvedSignal {
  identity: SignalIdentity;
  address: S7Address;
  intervalMs: number;
  deadband: number;
}

export interface SignalProblem {
  /** Index of the row in the input list. */
  index: number;
  message: string;
}

export const MIN_INTERVAL_MS = 10;

/** "Signal "name" (address): problem" — every runtime error about a row names both. */
export function describeSignal(row: Pick<SignalRow, 'name' | 'address'>): string {
  return `signal "${row.name ?? ''}" (${row.address ?? ''})`;
}

/** A bad item's error for a Reading: signal and address first, then the PLC's text (without the address again). */
export function itemError(signal: Pick<SignalRow, 'name' | 'address'>, error: string | undefined): string {
  const text = error ?? 'no result';
  const prefix = `${signal.address}: `;
  return `${describeSignal(signal)}: ${text.startsWith(prefix) ? text.slice(prefix.length) : text}`;
}

/** The problems of one row (independent of the others), or [] when it is readable. */
export function checkRow(row: SignalRow, pinMap: PinMap = DEFAULT_PIN_MAP): string[] {
  const problems: string[] = [];
  if (!row || typeof row !== 'object') return ['not an object'];
  if (typeof row.name !== 'string' || row.name.trim() === '') problems.push('name is empty');
  else {
    // The name keys the per-cycle payload and the edge counter's state.
    const reserved = reservedNameProblem(row.name.trim(), 'name');
    if (reserved) problems.push(reserved);
  }
  if (typeof row.address !== 'string' || row.address.trim() === '') {
    problems.push('address is empty');
  } else {
    try {
      parseAddress(row.address.trim(), row.dataType?.trim() || undefined, pinMap);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (row.kind !== undefined && !SIGNAL_KINDS.includes(row.kind)) {
    problems.push(`kind "${String(row.kind)}" is not one of ${SIGNAL_KINDS.join(', ')}`);
  }
  for (const field of ['machineId', 'sensorId'] as const) {
    const v = row[field];
    if (v !== undefined && v !== '' && !isObjectIdHex(v)) problems.push(`${field} "${String(v)}" is not a 24-digit hex ObjectId`);
  }
  if (row.intervalMs !== undefined && row.intervalMs !== 0
    && !(Number.isFinite(row.intervalMs) && row.intervalMs >= MIN_INTERVAL_MS)) {
    problems.push(`interval ${String(row.intervalMs)} ms is below the minimum of ${MIN_INTERVAL_MS} ms`);
  }
  if (row.deadband !== undefined && !(Number.isFinite(row.deadband) && row.deadband >= 0)) {
    problems.push(`deadband ${String(row.deadband)} is not a number >= 0`);
  }
  return problems;
}

/**
 * Validates a list of rows: each readable row becomes a ResolvedSignal, each unreadable row
 * a problem naming signal and address. Names must be unique (they key per-cycle payloads).
 */
export function resolveSignals(
  rows: readonly SignalRow[],
  defaultIntervalMs: number,
  pinMap: PinMap = DEFAULT_PIN_MAP,
): { signals: ResolvedSignal[]; problems: SignalProblem[] } {
  const signals: ResolvedSignal[] = [];
  const problems: SignalProblem[] = [];
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const rowProblems = checkRow(row, pinMap);
    const name = typeof row?.name === 'string' ? row.name.trim() : '';
    if (name && seen.has(name)) rowProblems.push('name is used by another signal');
    if (rowProblems.length > 0) {
      problems.push({ index, message: `${describeSignal(row ?? { name: '', address: '' })}: ${rowProblems.join('; ')}` });
      return;
    }
    seen.add(name);
    const text = row.address.trim();
    const address = parseAddress(text, row.dataType?.trim() || undefined, pinMap);
    const identity: SignalIdentity = {
      name,
      address: text,
      dataType: formatDataType(address),
      kind: row.kind ?? 'other',
    };
    if (row.machineId) identity.machineId = row.machineId;
    if (row.sensorId) identity.sensorId = row.sensorId;
    const pin = pinIdOf(text, pinMap);
    if (pin) identity.pinId = pin;
    signals.push({
      identity,
      address,
      intervalMs: row.intervalMs && row.intervalMs > 0 ? row.intervalMs : defaultIntervalMs,
      deadband: row.deadband ?? 0,
    });
  });
  return { signals, problems };
}

/** The application's pin id ("DQ.3") when the address is one of the pin map's pins. */
export function pinIdOf(address: string, pinMap: PinMap = DEFAULT_PIN_MAP): string | undefined {
  const key = Object.keys(pinMap).find((pin) => pin.toUpperCase() === address.trim().toUpperCase());
  return key;
}

/**
 * The dialog's pin-map text, "DQ.0=Q0.0, DQ.1=Q4.1" (commas, semicolons or newlines),
 * laid over the default map. Throws naming the entry that is wrong.
 */
export function parsePinMap(text: string | undefined): PinMap {
  const map: PinMap = Object.assign(nullObject<string>(), DEFAULT_PIN_MAP);
  for (const entry of (text ?? '').split(/[,;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
    if (!m) throw new Error(`pin map entry "${entry}" is not of the form PIN=ADDRESS (e.g. DQ.0=Q0.0)`);
    const reserved = reservedNameProblem(m[1], 'pin map entry: pin');
    if (reserved) throw new Error(reserved);
    map[m[1]] = m[2];
  }
  return map;
}

/** Coerces a row that arrived as loose JSON (msg.signals, an HTTP body) into a SignalRow. */
export function toSignalRow(raw: unknown): SignalRow {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
  const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const row: SignalRow = { name: str(r.name) ?? '', address: str(r.address) ?? '' };
  const dataType = str(r.dataType);
  if (dataType) row.dataType = dataType;
  const kind = str(r.kind);
  if (kind) row.kind = kind as SignalKind;
  const machineId = str(r.machineId);
  if (machineId) row.machineId = machineId;
  const sensorId = str(r.sensorId);
  if (sensorId) row.sensorId = sensorId;
  const intervalMs = num(r.intervalMs);
  if (intervalMs !== undefined) row.intervalMs = intervalMs;
  const deadband = num(r.deadband);
  if (deadband !== undefined) row.deadband = deadband;
  const comment = str(r.comment);
  if (comment) row.comment = comment;
  return row;
}
