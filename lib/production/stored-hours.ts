/**
 * Reads back the hours of a productionrecords document (as mongo-sink writes it) for a restart
 * without stored state. Structural: Dates and ObjectIds are read through their usual methods,
 * so no driver import is needed.
 */
import { REVISIONS_FIELD } from '../mongo/production';
import { isObjectIdHex, type HourStatus } from '../shared/messages';
import type { StoredHour } from './hourly-aggregator';
const HOUR_STATUSES: readonly HourStatus[] = ['running', 'stoppage', 'inactive'];

function epochOf(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

export function storedHoursOf(doc: Record<string, unknown>): StoredHour[] {
  const machineId = doc.machineId === undefined || doc.machineId === null ? '' : String(doc.machineId).toLowerCase();
  const start = epochOf(doc.startTime);
  if (!isObjectIdHex(machineId) || start === null || !Array.isArray(doc.hourlyData)) return [];
  const date = new Date(start).toISOString().slice(0, 10);
  const revisions = (doc[REVISIONS_FIELD] ?? {}) as Record<string, unknown>;
  const hours: StoredHour[] = [];
  for (const raw of doc.hourlyData as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object' || !Number.isInteger(raw.hour) || (raw.hour as number) < 0 || (raw.hour as number) > 23) continue;
    const stoppages = (Array.isArray(raw.stoppages) ? (raw.stoppages as Record<string, unknown>[]) : [])
      // Operators' stoppages stay theirs: only automatic, unclassified ones are ours to continue.
      .filter((st) => st && st.reason === 'unclassified' && st.isClassified !== true && epochOf(st.startTime) !== null)
      .map((st) => {
        const startTime = epochOf(st.startTime) as number;
        return { startTime, endTime: st.isPending === true ? null : (epochOf(st.endTime) ?? startTime) };
      });
    hours.push({
      machineId,
      date,
      hour: raw.hour as number,
      unitsProduced: count(raw.unitsProduced),
      runningMinutes: count(raw.runningMinutes),
      status: HOUR_STATUSES.includes(raw.status as HourStatus) ? (raw.status as HourStatus) : 'inactive',
      stoppages,
      revision: count(revisions[String(raw.hour)]),
    });
  }
  return hours;
}
