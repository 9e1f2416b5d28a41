/**
 * productionrecords: one document per machine per UTC date (day.ts), hourlyData[] per hour slot.
 * The merge is pure: the caller reads the document, merges, and writes with compare-and-swap on
 * updatedAt (no positional operators, no transactions: FerretDB v1 and mongo-java-server work).
 *
 * The rule (docs/ARCHITECTURE.md, "The merge"):
 * - Counts never go down. Units are kept per aggregator run (session) in the document's ledger
 *   and merged by maximum per session; the slot shows the unattributed base plus the sum over
 *   sessions. A restarted aggregator is a new session, so its units add on top of what earlier
 *   runs stored; a replay, or a snapshot that knows less, changes nothing. Running minutes are
 *   minute bits per real hour, merged by union.
 * - A session's snapshot is applied once per revision; the slot's status and stoppage timing
 *   come from the newest revision of any session.
 * - Operators' fields are never written: operatorId, moldId, defectiveUnits of record and hour,
 *   and a classified stoppage's classification (stoppages.ts). Our stoppages are recognised by
 *   the _id we gave them (kept in the ledger), by startTime in documents written before the
 *   ledger, and, once the application's classify route has replaced one (new _id, startTime
 *   null), by being that replacement. They are extended while the standstill lasts, classified
 *   or not, and never added twice.
 * - stoppageMinutes is the sum of the hour's stoppage durations (operators' included, capped at
 *   60) and running minutes give way so that both fit in the hour.
 */
import { LEDGER_FIELD, LEGACY_REVISIONS_FIELD } from './names';
import { LEGACY_SESSION, maskMinutes, runningMinutesOf, stoppageMinutesOf, type AutoStoppage, type RunMask, type ValidSnapshot } from './snapshot';
import { AUTOMATIC_REASON, isClassifiedStoppage } from './stoppages';

const MINUTE_MS = 60_000;

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

/** One of our stoppages in a slot: the _id it has now, and the starts of the parts it stands for. */
export interface LedgerStoppage {
  id: unknown;
  startTime: number;
  endTime: number | null;
  /** Starts of parts of later sessions that continue it (a restart that did not know it). */
  aliases: number[];
}

/** What the package wrote into one hour slot. */
export interface LedgerHour {
  hour: number;
  /** Units without a known session (written before the ledger, or by a session-less sender). */
  base: number;
  /** Running minutes written before the ledger or sent without minute bits: a floor for the slot's minutes. */
  runFloor: number;
  /** Revision of the snapshot the slot's status and stoppage timing come from. */
  revision: number;
  sessions: { id: string; units: number; revision: number }[];
  runMasks: RunMask[];
  stoppages: LedgerStoppage[];
}

/** A stored time (Date, or epoch ms from older writers) as epoch ms. */
export function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/** A stored count, 0 when it is missing or not a count. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

const idText = (id: unknown): string => (id === undefined || id === null ? '' : String(id));

/** The ledger of a document, read defensively (a document may have been edited by hand). */
export function readLedger(doc: Doc | null | undefined): Map<number, LedgerHour> {
  const ledger = new Map<number, LedgerHour>();
  const raw = doc?.[LEDGER_FIELD];
  if (!Array.isArray(raw)) return ledger;
  for (const h of raw as Doc[]) {
    if (!h || typeof h !== 'object' || !Number.isInteger(h.hour)) continue;
    ledger.set(h.hour as number, {
      hour: h.hour as number,
      base: count(h.base),
      runFloor: count(h.runFloor),
      revision: count(h.revision),
      sessions: (Array.isArray(h.sessions) ? (h.sessions as Doc[]) : [])
        .filter((s) => s && typeof s.id === 'string')
        .map((s) => ({ id: s.id as string, units: count(s.units), revision: count(s.revision) })),
      runMasks: (Array.isArray(h.runMasks) ? (h.runMasks as Doc[]) : [])
        .filter((m) => m && timeOf(m.start) !== undefined && Array.isArray(m.bits) && m.bits.length === 2)
        .map((m) => ({ start: timeOf(m.start) as number, bits: [count((m.bits as unknown[])[0]), count((m.bits as unknown[])[1])] })),
      stoppages: (Array.isArray(h.stoppages) ? (h.stoppages as Doc[]) : [])
        .filter((s) => s && timeOf(s.startTime) !== undefined)
        .map((s) => ({
          id: s.id,
          startTime: timeOf(s.startTime) as number,
          endTime: timeOf(s.endTime) ?? null,
          aliases: (Array.isArray(s.aliases) ? s.aliases : []).map(timeOf).filter((t): t is number => t !== undefined),
        })),
    });
  }
  return ledger;
}

/**
 * A slot the ledger does not know: what an earlier version wrote there is the base. Earlier
 * versions dated by the plant-local date, so east of UTC a slot may hold the hour a day before
 * the snapshot's (same number, other UTC date): its last revision, a time within or after its
 * hour, is then older than the snapshot's hour start, and its figures are not this hour's.
 */
function ledgerHourOf(entry: Doc, hour: number, legacyRevisions: unknown, snap: ValidSnapshot): LedgerHour {
  const revisions = legacyRevisions && typeof legacyRevisions === 'object' ? (legacyRevisions as Doc) : {};
  const legacyRevision = Object.hasOwn(revisions, String(hour)) ? count(revisions[String(hour)]) : 0;
  const hourStart = snap.runMasks.length > 0 ? Math.min(...snap.runMasks.map((m) => m.start)) : undefined;
  const anotherHour = legacyRevision > 0 && hourStart !== undefined && legacyRevision < hourStart;
  return {
    hour,
    base: anotherHour ? 0 : count(entry.unitsProduced),
    runFloor: anotherHour ? 0 : count(entry.runningMinutes),
    revision: legacyRevision,
    sessions: legacyRevision > 0 ? [{ id: LEGACY_SESSION, units: 0, revision: legacyRevision }] : [],
    runMasks: [],
    stoppages: [],
  };
}

function newHourEntry(hour: number, bson: BsonFactory): Doc {
  return { _id: bson.objectId(), hour, unitsProduced: 0, defectiveUnits: 0, status: 'inactive', runningMinutes: 0, stoppageMinutes: 0, stoppages: [] };
}

/** Our figures for a stoppage: its end (an open one: as far as its duration reaches) and duration. */
function timingOf(own: LedgerStoppage, part: AutoStoppage): { end: number; duration: number } {
  const end = part.endTime ?? part.startTime + part.duration * MINUTE_MS;
  if (own.startTime === part.startTime) return { end, duration: part.duration };
  return { end, duration: Math.min(60, Math.floor(Math.max(0, end - own.startTime) / MINUTE_MS)) };
}

function mergeStoppages(entry: Doc, slot: LedgerHour, parts: AutoStoppage[], bson: BsonFactory): void {
  const stoppages = (Array.isArray(entry.stoppages) ? (entry.stoppages as Doc[]) : []).map((st) => ({ ...st }));
  const claimed = new Set(slot.stoppages.map((s) => idText(s.id)));
  /** A stoppage the application's classify route rebuilt from one of ours: new _id, no startTime. */
  const replacement = (): Doc | undefined =>
    stoppages.find((st) => isClassifiedStoppage(st) && (st.startTime === null || st.startTime === undefined) && !claimed.has(idText(st._id)));
  for (const part of parts) {
    let own = slot.stoppages.find((s) => s.startTime === part.startTime || s.aliases.includes(part.startTime));
    let target: Doc | undefined;
    if (own) {
      const id = idText(own.id);
      target = stoppages.find((st) => idText(st._id) === id) ?? replacement();
      // Removed in the application: not brought back.
      if (!target) continue;
    } else {
      // A standstill we already have an open stoppage for, seen anew by a session that did not know it.
      const open = part.unknownStart !== true ? undefined
        : slot.stoppages.find((s) => s.endTime === null && s.startTime < part.startTime && stoppages.some((st) => idText(st._id) === idText(s.id)));
      if (open) {
        open.aliases.push(part.startTime);
        own = open;
        target = stoppages.find((st) => idText(st._id) === idText(open.id));
      } else {
        // Documents from before the ledger: ours by startTime (while unclassified) or replaced by the operator.
        target =
          stoppages.find((st) => !claimed.has(idText(st._id)) && !isClassifiedStoppage(st) && timeOf(st.startTime) === part.startTime) ?? replacement();
        if (!target) {
          target = { _id: bson.objectId(), reason: AUTOMATIC_REASON, description: '', startTime: new Date(part.startTime), endTime: null, duration: 0, isPending: true, isClassified: false };
          stoppages.push(target);
        }
        own = { id: target._id, startTime: part.startTime, endTime: null, aliases: [] };
        slot.stoppages.push(own);
      }
    }
    own.id = target!._id;
    claimed.add(idText(own.id));
    const open = part.endTime === null;
    own.endTime = open ? null : part.endTime;
    const { end, duration } = timingOf(own, part);
    if (!isClassifiedStoppage(target!)) {
      target!.endTime = open ? null : new Date(end);
      target!.duration = duration;
      target!.isPending = open;
    } else {
      // Classified: the classification is the operator's; ours only extends it while the machine still stands still,
      // up to the next unit, also when that comes within the whole minute the operator's duration already holds.
      if (duration > count(target!.duration)) target!.duration = duration;
      if (end > (timeOf(target!.endTime) ?? -Infinity)) target!.endTime = new Date(end);
    }
  }
  entry.stoppages = stoppages;
}

function sum(entries: Doc[], field: string): number {
  return entries.reduce((acc, e) => acc + count(e[field]), 0);
}

/** The slot's figures from its ledger and its stoppages (operators' included). */
function settle(entry: Doc, slot: LedgerHour): void {
  entry.unitsProduced = slot.sessions.reduce((acc, s) => acc + s.units, slot.base);
  const stoppageMinutes = stoppageMinutesOf((entry.stoppages as Doc[]).map((st) => count(st.duration)));
  entry.stoppageMinutes = stoppageMinutes;
  entry.runningMinutes = runningMinutesOf(Math.max(slot.runFloor, maskMinutes(slot.runMasks)), stoppageMinutes);
  if (typeof entry.defectiveUnits !== 'number') entry.defectiveUnits = 0;
}

function applySnapshot(slot: LedgerHour, snap: ValidSnapshot): boolean {
  let own = slot.sessions.find((s) => s.id === snap.session);
  if (own && own.revision >= snap.revision) return false;
  if (!own) {
    own = { id: snap.session, units: 0, revision: 0 };
    slot.sessions.push(own);
  }
  own.revision = snap.revision;
  slot.base = Math.max(slot.base, snap.tally.base);
  // Snapshots without minute bits (older senders) give their minutes as a floor; ours never exceed their bits.
  slot.runFloor = Math.max(slot.runFloor, snap.runningMinutes);
  for (const s of snap.tally.sessions) {
    const known = slot.sessions.find((k) => k.id === s.id);
    if (known) known.units = Math.max(known.units, s.units);
    else slot.sessions.push({ id: s.id, units: s.units, revision: 0 });
  }
  for (const m of snap.runMasks) {
    const known = slot.runMasks.find((k) => k.start === m.start);
    if (known) known.bits = [(known.bits[0] | m.bits[0]) >>> 0, (known.bits[1] | m.bits[1]) >>> 0];
    else slot.runMasks.push({ start: m.start, bits: [m.bits[0], m.bits[1]] });
  }
  return true;
}

/**
 * Merges snapshots (all of one machine and date) into the current document, or into a new one
 * when `existing` is null; `changed` is false when nothing is left to write.
 */
export function mergeSnapshots(existing: Doc | null, snapshots: ValidSnapshot[], bson: BsonFactory, now: Date): MergeResult {
  const hourlyData: Doc[] = Array.isArray(existing?.hourlyData) ? (existing.hourlyData as Doc[]).map((h) => ({ ...h })) : [];
  const ledger = readLedger(existing);
  let lastActivity = timeOf(existing?.lastActivityTime);
  let changed = false;
  for (const snap of snapshots) {
    let entry = hourlyData.find((h) => h.hour === snap.hour);
    const slot = ledger.get(snap.hour) ?? ledgerHourOf(entry ?? {}, snap.hour, existing?.[LEGACY_REVISIONS_FIELD], snap);
    if (!applySnapshot(slot, snap)) continue;
    changed = true;
    ledger.set(snap.hour, slot);
    if (!entry) {
      // Appended, never reordered: Mongoose saves sub-document edits by array index.
      entry = newHourEntry(snap.hour, bson);
      hourlyData.push(entry);
    }
    if (snap.revision > slot.revision) {
      slot.revision = snap.revision;
      entry.status = snap.status;
      mergeStoppages(entry, slot, snap.stoppages, bson);
    }
    settle(entry, slot);
    if (snap.lastActivityTime !== undefined && (lastActivity === undefined || snap.lastActivityTime > lastActivity)) lastActivity = snap.lastActivityTime;
  }
  if (!changed) return { changed };
  const ours: Doc = {
    hourlyData,
    unitsProduced: sum(hourlyData, 'unitsProduced'),
    defectiveUnits: sum(hourlyData, 'defectiveUnits'),
    [LEDGER_FIELD]: [...ledger.values()].sort((a, b) => a.hour - b.hour),
    ...(lastActivity === undefined ? {} : { lastActivityTime: new Date(lastActivity) }),
  };
  if (!existing) return { changed, insert: { ...ours, createdAt: now, updatedAt: now, __v: 0 } };
  // Strictly increasing, so compare-and-swap on updatedAt tells every write apart.
  const previous = timeOf(existing.updatedAt);
  const updatedAt = previous !== undefined && previous >= now.getTime() ? new Date(previous + 1) : now;
  return { changed, set: { ...ours, updatedAt } };
}
