/**
 * What the package reads from the application's database: the day documents that restore the
 * aggregator's open hours, the configs document's signal timeouts, and the pin mappings with
 * their sensors and machines. Joined in code (no $lookup), so every MongoDB-compatible server works.
 */
import type { Db, Document } from 'mongodb';
import { isObjectIdHex } from '../shared/messages';
import { dayStart } from './day';
import { COLLECTIONS, LEDGER_FIELD, LEGACY_REVISIONS_FIELD } from './names';
import { count, readLedger, timeOf } from './production-records';
import { HOUR_STATUSES, type HourStatus, type RunMask, type UnitTally } from './snapshot';
import { machineInScope, scopeNamesMachines, type MachineScope } from './machine-scope';
import { isClassifiedStoppage } from './stoppages';

/** An hour slot as the database holds it, for the aggregator to take over after a restart. */
export interface StoredHour {
  machineId: string;
  date: string;
  hour: number;
  /** Last written by a version before the ledger: `date` is the plant-local date (the old dating rule). */
  plantDated: boolean;
  tally: UnitTally;
  /** The running minutes as minute bits, when the ledger has them. */
  runMasks: RunMask[];
  /** The running minutes the slot shows (for slots without minute bits). */
  minutes: number;
  status: HourStatus;
  /** Our automatic stoppages (as the ledger knows them; classified or not), not operators' own. */
  stoppages: { startTime: number; endTime: number | null }[];
  /** Revision of the snapshot last written. */
  revision: number;
}


/** The hour slots of a productionrecords document. Structural: no driver import is needed. */
export function storedHoursOf(doc: Record<string, unknown>): StoredHour[] {
  const machineId = doc.machineId === undefined || doc.machineId === null ? '' : String(doc.machineId).toLowerCase();
  const start = timeOf(doc.startTime);
  if (!isObjectIdHex(machineId) || start === undefined || !Array.isArray(doc.hourlyData)) return [];
  const date = new Date(start).toISOString().slice(0, 10);
  const ledger = readLedger(doc);
  const legacy = doc[LEGACY_REVISIONS_FIELD];
  const legacyRevisions = (legacy !== null && typeof legacy === 'object' ? legacy : {}) as Record<string, unknown>;
  const hours: StoredHour[] = [];
  for (const raw of doc.hourlyData as Record<string, unknown>[]) {
    if (!raw || typeof raw !== 'object' || !Number.isInteger(raw.hour) || (raw.hour as number) < 0 || (raw.hour as number) > 23) continue;
    const hour = raw.hour as number;
    const slot = ledger.get(hour);
    const stoppages = slot
      ? slot.stoppages.map((st) => ({ startTime: st.startTime, endTime: st.endTime }))
      : (Array.isArray(raw.stoppages) ? (raw.stoppages as Record<string, unknown>[]) : [])
          // Before the ledger, our stoppages were the unclassified ones, known by startTime.
          .filter((st) => st && !isClassifiedStoppage(st) && timeOf(st.startTime) !== undefined)
          .map((st) => {
            const startTime = timeOf(st.startTime) as number;
            return { startTime, endTime: st.isPending === true ? null : (timeOf(st.endTime) ?? startTime) };
          });
    hours.push({
      machineId,
      date,
      hour,
      // A slot the ledger does not know, in a document of ours (with ledger or the old revisions), is the old version's.
      plantDated: !slot && (!Array.isArray(doc[LEDGER_FIELD]) || Object.hasOwn(legacyRevisions, String(hour))),
      tally: slot
        ? { base: slot.base, sessions: slot.sessions.filter((s) => s.units > 0).map((s) => ({ id: s.id, units: s.units })) }
        : { base: count(raw.unitsProduced), sessions: [] },
      runMasks: slot ? slot.runMasks : [],
      minutes: count(raw.runningMinutes),
      status: HOUR_STATUSES.includes(raw.status as HourStatus) ? (raw.status as HourStatus) : 'inactive',
      stoppages,
      revision: slot ? slot.revision : count(Object.hasOwn(legacyRevisions, String(hour)) ? legacyRevisions[String(hour)] : 0),
    });
  }
  return hours;
}

/** The day documents of the given dates (all machines). */
export async function readDayRecords(db: Db, dates: Iterable<string>): Promise<Document[]> {
  return db.collection(COLLECTIONS.production).find({ startTime: { $in: [...dates].map(dayStart) } }).toArray();
}

/** The application's signal timeouts in milliseconds. */
export interface SignalTimeouts {
  powerTimeoutMs: number;
  cycleTimeoutMs: number;
}

/** The configs document's signalTimeouts (minutes), read as the application reads them: a missing or zero value means the fallback. */
export function timeoutsFromConfigDocument(doc: unknown, fallback: SignalTimeouts): SignalTimeouts {
  const timeouts = (doc as { signalTimeouts?: { powerSignalTimeout?: unknown; cycleSignalTimeout?: unknown } } | null)?.signalTimeouts;
  const minutes = (value: unknown, otherwise: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * 60_000 : otherwise;
  return {
    powerTimeoutMs: minutes(timeouts?.powerSignalTimeout, fallback.powerTimeoutMs),
    cycleTimeoutMs: minutes(timeouts?.cycleSignalTimeout, fallback.cycleTimeoutMs),
  };
}

export async function readSignalTimeouts(db: Db, fallback: SignalTimeouts): Promise<SignalTimeouts> {
  return timeoutsFromConfigDocument(await db.collection(COLLECTIONS.configs).findOne({}), fallback);
}

/** The fields read from each collection; _id is an ObjectId (or anything whose String() is its hex). */
export interface PinMappingDoc { _id?: unknown; sensorId?: unknown; pinId?: unknown; isActive?: unknown }
export interface SensorDoc { _id: unknown; name?: unknown; machineId?: unknown; sensorType?: unknown; isActive?: unknown }
export interface MachineDoc { _id: unknown; name?: unknown; isActive?: unknown; departmentId?: unknown }

/** A filter on _id; the ids are whatever the documents hold (ObjectIds, or strings in older data). */
const byIds = (ids: unknown[]): Document => ({ _id: { $in: ids.filter((id) => id !== undefined && id !== null) } });

/** The pin mappings, then only the sensors and machines they reference. */
export async function readPinMappingDocs(db: Db): Promise<{ mappings: PinMappingDoc[]; sensors: SensorDoc[]; machines: MachineDoc[] }> {
  const mappings = await db.collection<PinMappingDoc>(COLLECTIONS.pinMappings)
    .find({}, { projection: { sensorId: 1, pinId: 1, isActive: 1 } }).toArray();
  const sensorFilter = byIds(mappings.map((m) => m.sensorId));
  const sensors = sensorFilter._id.$in.length === 0 ? [] : await db.collection(COLLECTIONS.sensors)
    .find(sensorFilter, { projection: { name: 1, machineId: 1, sensorType: 1, isActive: 1 } }).toArray() as SensorDoc[];
  const machineFilter = byIds(sensors.map((s) => s.machineId));
  const machines = machineFilter._id.$in.length === 0 ? [] : await db.collection(COLLECTIONS.machines)
    .find(machineFilter, { projection: { name: 1, isActive: 1, departmentId: 1 } }).toArray() as MachineDoc[];
  return { mappings, sensors, machines };
}

/** The _id values of the machines the share names (department or machine terms). */
async function scopedMachineIds(db: Db, scope: MachineScope): Promise<unknown[]> {
  const machines = await db.collection(COLLECTIONS.machines).find({}, { projection: { departmentId: 1 } }).toArray() as MachineDoc[];
  return machines.filter((m) => machineInScope(m, scope)).map((m) => m._id);
}

/** The day documents of the given dates, of the share's machines only when the scope names machines. */
export async function readScopedDayRecords(db: Db, dates: Iterable<string>, scope: MachineScope): Promise<Document[]> {
  if (!scopeNamesMachines(scope)) return readDayRecords(db, dates);
  const machineIds = await scopedMachineIds(db, scope);
  if (machineIds.length === 0) return [];
  return db.collection(COLLECTIONS.production).find({ startTime: { $in: [...dates].map(dayStart) }, machineId: { $in: machineIds } }).toArray();
}
