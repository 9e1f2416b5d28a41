/**
 * productionrecords: one document per machine per date, hourlyData[] per hour. Merging an
 * HourSnapshot sets only our fields and keeps everything operators set (operatorId, moldId,
 * defectiveUnits, classified stoppages) and any field we do not know. Pure: the caller reads
 * the current document, merges, and writes with compare-and-swap on updatedAt.
 */
import type { AutoStoppage, HourSnapshot, HourStatus } from '../shared/messages';
import {
  ValidationError,
  requireEpochMs,
  requireFiniteNumber,
  requireObject,
  requireObjectIdHex,
  requireOneOf,
} from '../shared/validate';

export const HOUR_STATUSES: readonly HourStatus[] = ['running', 'stoppage', 'inactive'];
/** Where we keep, per hour, the revision of the last snapshot written (replays are ignored). */
export const REVISIONS_FIELD = 's7Revisions';

export type ValidSnapshot = Omit<HourSnapshot, 'power'>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The document's startTime for a plant-local date: that date at 00:00:00.000Z. */
export function dayStart(date: string): Date {
  return new Date(`${date}T00:00:00.000Z`);
}

export function validateSnapshot(raw: unknown, field = 'payload'): ValidSnapshot {
  const s = requireObject(raw, field);
  const machineId = requireObjectIdHex(s.machineId, `${field}.machineId`);
  const m = typeof s.date === 'string' ? DATE.exec(s.date) : null;
  if (!m || Number.isNaN(dayStart(s.date as string).getTime()) || dayStart(s.date as string).toISOString().slice(0, 10) !== s.date) {
    throw new ValidationError(`${field}.date`, `expected a date "YYYY-MM-DD", got ${JSON.stringify(s.date)}`);
  }
  const hour = requireFiniteNumber(s.hour, `${field}.hour`, 0, 23);
  if (!Number.isInteger(hour)) throw new ValidationError(`${field}.hour`, `expected an integer hour, got ${hour}`);
  if (!Array.isArray(s.stoppages)) throw new ValidationError(`${field}.stoppages`, 'expected an array');
  const stoppages: AutoStoppage[] = s.stoppages.map((raw, i) => {
    const f = `${field}.stoppages.${i}`;
    const st = requireObject(raw, f);
    return {
      startTime: requireEpochMs(st.startTime, `${f}.startTime`),
      endTime: st.endTime === null || st.endTime === undefined ? null : requireEpochMs(st.endTime, `${f}.endTime`),
      duration: requireFiniteNumber(st.duration, `${f}.duration`, 0),
      isPending: st.isPending === true,
    };
  });
  const revision = requireFiniteNumber(s.revision, `${field}.revision`);
  return {
    machineId,
    date: s.date as string,
    hour,
    unitsProduced: requireFiniteNumber(s.unitsProduced, `${field}.unitsProduced`, 0),
    runningMinutes: requireFiniteNumber(s.runningMinutes, `${field}.runningMinutes`, 0, 60),
    stoppageMinutes: requireFiniteNumber(s.stoppageMinutes, `${field}.stoppageMinutes`, 0, 60),
    status: requireOneOf(s.status, HOUR_STATUSES, `${field}.status`),
    stoppages,
    ...(s.lastActivityTime === undefined || s.lastActivityTime === null ? {} : { lastActivityTime: requireEpochMs(s.lastActivityTime, `${field}.lastActivityTime`) }),
    final: s.final === true,
    revision,
  };
}

/** Key of the hourlyData entry a snapshot updates. */
export function snapshotKey(s: Pick<ValidSnapshot, 'machineId' | 'date' | 'hour'>): string {
  return `${s.machineId}|${s.date}|${s.hour}`;
}

/** Key of the document a snapshot updates. */
export function recordKey(s: Pick<ValidSnapshot, 'machineId' | 'date'>): string {
  return `${s.machineId}|${s.date}`;
}

type Doc = Record<string, unknown>;

export interface BsonFactory {
  objectId(hex?: string): unknown;
}

export interface MergeResult {
  changed: boolean;
  /** For a new document: the whole document (without _id, machineId, startTime: the upsert filter gives them). */
  insert?: Doc;
  /** For an existing document: the fields to $set. */
  set?: Doc;
}

function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return undefined;
}

/** A stoppage an operator has classified (or otherwise taken over): never touched. */
export function isOperatorStoppage(st: Doc): boolean {
  return st.isClassified === true || (typeof st.reason === 'string' && st.reason !== 'unclassified');
}

function mergeStoppages(existing: Doc[], ours: AutoStoppage[], bson: BsonFactory): Doc[] {
  const out = existing.map((st) => ({ ...st }));
  for (const stoppage of ours) {
    const match = out.find((st) => timeOf(st.startTime) === stoppage.startTime);
    const timing = {
      endTime: stoppage.endTime === null ? null : new Date(stoppage.endTime),
      duration: stoppage.duration,
      isPending: stoppage.isPending,
    };
    if (!match) {
      out.push({
        _id: bson.objectId(),
        reason: 'unclassified',
        description: '',
        startTime: new Date(stoppage.startTime),
        ...timing,
        isClassified: false,
      });
    } else if (!isOperatorStoppage(match)) {
      Object.assign(match, timing);
    }
  }
  return out;
}

function sum(entries: Doc[], field: string): number {
  return entries.reduce((acc, e) => acc + (typeof e[field] === 'number' && Number.isFinite(e[field]) ? (e[field] as number) : 0), 0);
}

/**
 * Merges snapshots (all of one machine and date) into the current document, or into a new one
 * when `existing` is null. Snapshots whose revision is not newer than the stored one are
 * ignored; `changed` is false when nothing is left to write.
 */
export function mergeSnapshots(existing: Doc | null, snapshots: ValidSnapshot[], bson: BsonFactory, now: Date): MergeResult {
  const hourlyData: Doc[] = Array.isArray(existing?.hourlyData) ? (existing.hourlyData as Doc[]).map((h) => ({ ...h })) : [];
  const revisions: Record<string, number> = { ...((existing?.[REVISIONS_FIELD] as Record<string, number> | undefined) ?? {}) };
  let lastActivity = timeOf(existing?.lastActivityTime);
  let changed = false;
  for (const snap of snapshots) {
    const stored = revisions[String(snap.hour)];
    if (typeof stored === 'number' && stored >= snap.revision) continue;
    changed = true;
    revisions[String(snap.hour)] = snap.revision;
    let entry = hourlyData.find((h) => h.hour === snap.hour);
    if (!entry) {
      // Appended, never reordered: Mongoose saves sub-document edits by array index.
      entry = { _id: bson.objectId(), hour: snap.hour, unitsProduced: 0, defectiveUnits: 0, status: 'inactive', runningMinutes: 0, stoppageMinutes: 0, stoppages: [] };
      hourlyData.push(entry);
    }
    entry.unitsProduced = snap.unitsProduced;
    entry.runningMinutes = snap.runningMinutes;
    entry.stoppageMinutes = snap.stoppageMinutes;
    entry.status = snap.status;
    if (typeof entry.defectiveUnits !== 'number') entry.defectiveUnits = 0;
    entry.stoppages = mergeStoppages(Array.isArray(entry.stoppages) ? (entry.stoppages as Doc[]) : [], snap.stoppages, bson);
    if (snap.lastActivityTime !== undefined && (lastActivity === undefined || snap.lastActivityTime > lastActivity)) lastActivity = snap.lastActivityTime;
  }
  if (!changed) return { changed };
  const ours: Doc = {
    hourlyData,
    unitsProduced: sum(hourlyData, 'unitsProduced'),
    defectiveUnits: sum(hourlyData, 'defectiveUnits'),
    [REVISIONS_FIELD]: revisions,
    ...(lastActivity === undefined ? {} : { lastActivityTime: new Date(lastActivity) }),
  };
  if (!existing) return { changed, insert: { ...ours, createdAt: now, updatedAt: now, __v: 0 } };
  // Strictly increasing, so compare-and-swap on updatedAt tells every write apart.
  const previous = timeOf(existing.updatedAt);
  const updatedAt = previous !== undefined && previous >= now.getTime() ? new Date(previous + 1) : now;
  return { changed, set: { ...ours, updatedAt } };
}
