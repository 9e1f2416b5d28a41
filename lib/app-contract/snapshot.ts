/**
 * The HourSnapshot: one machine's hour slot in the application's terms, as the hourly-aggregator
 * sends it and mongo-sink merges it into productionrecords.
 */
import { ValidationError, requireEpochMs, requireFiniteNumber, requireObject, requireObjectIdHex, requireOneOf } from '../shared/validate';
import { isDocumentDate } from './day';

export type HourStatus = 'running' | 'stoppage' | 'inactive';
export const HOUR_STATUSES: readonly HourStatus[] = ['running', 'stoppage', 'inactive'];

export interface AutoStoppage {
  startTime: number;
  endTime: number | null;
  /** Whole minutes, rounded once (down). */
  duration: number;
  isPending: boolean;
  /** The sender saw no cycle before it: the standstill may have begun before the sender started watching. */
  unknownStart?: boolean;
}

export interface PowerStats {
  minKw: number;
  maxKw: number;
  avgKw: number;
  energyKwh: number;
  samples: number;
}

/** Units by the aggregator run (session) that counted them; the unattributed rest is `base`. */
export interface UnitTally {
  base: number;
  sessions: { id: string; units: number }[];
}

/** Running minutes of one real hour of the slot as minute bits: [minutes 0..29, minutes 30..59]. */
export interface RunMask {
  start: number;
  bits: [number, number];
}

export interface HourSnapshot {
  machineId: string;
  /** UTC date on which the hour starts, YYYY-MM-DD: the day document's startTime is this date at 00:00:00.000Z. */
  date: string;
  /** Plant-local hour, 0..23. */
  hour: number;
  unitsProduced: number;
  runningMinutes: number;
  stoppageMinutes: number;
  status: HourStatus;
  stoppages: AutoStoppage[];
  lastActivityTime?: number;
  power?: PowerStats;
  final: boolean;
  /** Grows with every snapshot of the slot a session sends. */
  revision: number;
  /** The aggregator run that sent it (absent in snapshots of older versions). */
  session?: string;
  /** unitsProduced by session (absent in snapshots of older versions). */
  tally?: UnitTally;
  /** runningMinutes as minute bits per real hour (absent in snapshots of older versions). */
  runMasks?: RunMask[];
}

/** What the aggregator knows of a slot, in its own terms; hourSnapshot() names it the application's way. */
export interface SlotFigures {
  machineId: string;
  date: string;
  hour: number;
  tally: UnitTally;
  runMasks: RunMask[];
  status: HourStatus;
  stoppages: AutoStoppage[];
  lastActivityTime: number | null;
  power: PowerStats | null;
  final: boolean;
  revision: number;
  session: string;
}

export function tallyTotal(tally: UnitTally): number {
  return tally.sessions.reduce((sum, s) => sum + s.units, tally.base);
}

export function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n += 1;
  return n;
}

export function maskMinutes(masks: readonly RunMask[]): number {
  return masks.reduce((sum, m) => sum + popcount(m.bits[0]) + popcount(m.bits[1]), 0);
}

/** The slot's sum of stoppage durations, capped at 60: the application's stoppageMinutes. */
export function stoppageMinutesOf(durations: readonly number[]): number {
  return Math.min(60, durations.reduce((sum, d) => sum + d, 0));
}

/** Running minutes, reconciled with the stoppage minutes so that both fit in the hour. */
export function runningMinutesOf(minutes: number, stoppageMinutes: number): number {
  return Math.max(0, Math.min(60, minutes, 60 - stoppageMinutes));
}

export function hourSnapshot(f: SlotFigures): HourSnapshot {
  const stoppageMinutes = stoppageMinutesOf(f.stoppages.map((s) => s.duration));
  const snapshot: HourSnapshot = {
    machineId: f.machineId,
    date: f.date,
    hour: f.hour,
    unitsProduced: tallyTotal(f.tally),
    runningMinutes: runningMinutesOf(maskMinutes(f.runMasks), stoppageMinutes),
    stoppageMinutes,
    status: f.status,
    stoppages: f.stoppages,
    final: f.final,
    revision: f.revision,
    session: f.session,
    tally: f.tally,
    runMasks: f.runMasks,
  };
  if (f.lastActivityTime !== null) snapshot.lastActivityTime = f.lastActivityTime;
  if (f.power) snapshot.power = f.power;
  return snapshot;
}

export type ValidSnapshot = Omit<HourSnapshot, 'power'> & { session: string; tally: UnitTally; runMasks: RunMask[] };

/** Session ids are ours (random UUIDs); anything else is refused before it becomes a key. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The id of every session-less snapshot (older versions, hand-made messages). */
export const LEGACY_SESSION = 'legacy';
const MASK_WORD = 0x3fffffff;
/** Far more runs than count units in one hour even in a restart loop; keeps the ledger well inside a document. */
const MAX_TALLY_SESSIONS = 1000;

function requireSessionId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SESSION_ID.test(value)) throw new ValidationError(field, `expected a session id (letters, digits, "_" or "-", at most 64), got ${JSON.stringify(value)}`);
  return value;
}

function validateTally(raw: unknown, field: string, unitsProduced: number): UnitTally {
  const t = requireObject(raw, field);
  if (!Array.isArray(t.sessions)) throw new ValidationError(`${field}.sessions`, 'expected an array');
  if (t.sessions.length > MAX_TALLY_SESSIONS) throw new ValidationError(`${field}.sessions`, `${t.sessions.length} sessions, at most ${MAX_TALLY_SESSIONS}`);
  const seen = new Set<string>();
  const sessions = t.sessions.map((rawSession, i) => {
    const f = `${field}.sessions.${i}`;
    const s = requireObject(rawSession, f);
    const id = requireSessionId(s.id, `${f}.id`);
    if (seen.has(id)) throw new ValidationError(`${f}.id`, `session ${id} is listed twice`);
    seen.add(id);
    return { id, units: requireFiniteNumber(s.units, `${f}.units`, 0) };
  });
  const tally = { base: requireFiniteNumber(t.base, `${field}.base`, 0), sessions };
  if (tallyTotal(tally) !== unitsProduced) throw new ValidationError(field, `adds up to ${tallyTotal(tally)}, not to unitsProduced ${unitsProduced}`);
  return tally;
}

function validateRunMasks(raw: unknown, field: string): RunMask[] {
  if (!Array.isArray(raw)) throw new ValidationError(field, 'expected an array');
  return raw.map((rawMask, i) => {
    const f = `${field}.${i}`;
    const m = requireObject(rawMask, f);
    const bits = Array.isArray(m.bits) ? m.bits : [];
    if (bits.length !== 2 || !bits.every((b) => Number.isInteger(b) && b >= 0 && b <= MASK_WORD)) {
      throw new ValidationError(`${f}.bits`, 'expected two integers of 30 minute bits each');
    }
    return { start: requireEpochMs(m.start, `${f}.start`), bits: [bits[0] as number, bits[1] as number] };
  });
}

export function validateSnapshot(raw: unknown, field = 'payload'): ValidSnapshot {
  const s = requireObject(raw, field);
  const machineId = requireObjectIdHex(s.machineId, `${field}.machineId`);
  if (!isDocumentDate(s.date)) throw new ValidationError(`${field}.date`, `expected a date "YYYY-MM-DD", got ${JSON.stringify(s.date)}`);
  const hour = requireFiniteNumber(s.hour, `${field}.hour`, 0, 23);
  if (!Number.isInteger(hour)) throw new ValidationError(`${field}.hour`, `expected an integer hour, got ${hour}`);
  if (!Array.isArray(s.stoppages)) throw new ValidationError(`${field}.stoppages`, 'expected an array');
  const stoppages: AutoStoppage[] = s.stoppages.map((rawStoppage, i) => {
    const f = `${field}.stoppages.${i}`;
    const st = requireObject(rawStoppage, f);
    return {
      startTime: requireEpochMs(st.startTime, `${f}.startTime`),
      endTime: st.endTime === null || st.endTime === undefined ? null : requireEpochMs(st.endTime, `${f}.endTime`),
      duration: requireFiniteNumber(st.duration, `${f}.duration`, 0),
      isPending: st.isPending === true,
      ...(st.unknownStart === true ? { unknownStart: true } : {}),
    };
  });
  const unitsProduced = requireFiniteNumber(s.unitsProduced, `${field}.unitsProduced`, 0);
  // Without a session (an older aggregator or a hand-made message): its units are the slot's
  // base, which they can raise but never lower.
  const session = s.session === undefined ? LEGACY_SESSION : requireSessionId(s.session, `${field}.session`);
  const tally = s.tally === undefined ? { base: unitsProduced, sessions: [] } : validateTally(s.tally, `${field}.tally`, unitsProduced);
  return {
    machineId,
    date: s.date,
    hour,
    unitsProduced,
    runningMinutes: requireFiniteNumber(s.runningMinutes, `${field}.runningMinutes`, 0, 60),
    stoppageMinutes: requireFiniteNumber(s.stoppageMinutes, `${field}.stoppageMinutes`, 0, 60),
    status: requireOneOf(s.status, HOUR_STATUSES, `${field}.status`),
    stoppages,
    ...(s.lastActivityTime === undefined || s.lastActivityTime === null ? {} : { lastActivityTime: requireEpochMs(s.lastActivityTime, `${field}.lastActivityTime`) }),
    final: s.final === true,
    revision: requireFiniteNumber(s.revision, `${field}.revision`),
    session,
    tally,
    runMasks: s.runMasks === undefined ? [] : validateRunMasks(s.runMasks, `${field}.runMasks`),
  };
}

/**
 * Key under which a queue may let a newer snapshot replace an older one: the slot and the
 * session, since a session's snapshot never stands for another session's units.
 */
export function snapshotKey(s: Pick<ValidSnapshot, 'machineId' | 'date' | 'hour' | 'session'>): string {
  return `${s.machineId}|${s.date}|${s.hour}|${s.session}`;
}

/** Key of the document a snapshot updates. */
export function recordKey(s: Pick<ValidSnapshot, 'machineId' | 'date'>): string {
  return `${s.machineId}|${s.date}`;
}

/** An hour snapshot's figures under the package's own names, for what only shows them (the editor's sidebar). */
export function figuresOf(s: Pick<HourSnapshot, 'unitsProduced' | 'runningMinutes' | 'stoppageMinutes'>): { units: number; running: number; stopped: number } {
  return { units: s.unitsProduced, running: s.runningMinutes, stopped: s.stoppageMinutes };
}
