/**
 * Operators' edits as the application's backend makes them (FRONTEND-CONTRACT.md, "Operators'
 * edits"): on the day's document, loaded whole, changed in memory; the caller saves it back whole.
 */
type Doc = Record<string, unknown>;
type NewId = () => unknown;

const MINUTE_MS = 60_000;

function hourOf(doc: Doc, hour: number): Doc {
  const entry = (doc.hourlyData as Doc[]).find((h) => h.hour === hour);
  if (!entry) throw new Error(`no hour ${hour} in the document`);
  return entry;
}

function sumDurations(entry: Doc): number {
  return (entry.stoppages as Doc[]).reduce((sum, st) => sum + (typeof st.duration === 'number' ? st.duration : 0), 0);
}

export interface Classification {
  reason: string;
  description: string;
  sapNotificationNumber?: string;
}

/**
 * POST /api/analytics/stoppage with pendingStoppageId: the stoppage found by _id (or the first
 * unclassified one) is rebuilt by spreading a Mongoose sub-document, which keeps none of its
 * fields: startTime is lost (null) and a new _id is given.
 */
export function classifyStoppage(doc: Doc, hour: number, stoppageId: unknown, c: Classification, now: number, newId: NewId): void {
  const entry = hourOf(doc, hour);
  const stoppages = entry.stoppages as Doc[];
  let index = stoppages.findIndex((st) => String(st._id) === String(stoppageId));
  if (index < 0) index = stoppages.findIndex((st) => st.reason === 'unclassified');
  if (index < 0) throw new Error(`no stoppage to classify in hour ${hour}`);
  const old = stoppages[index];
  const startTime = old.startTime instanceof Date ? old.startTime.getTime() : now;
  stoppages[index] = {
    _id: newId(),
    reason: c.reason,
    description: c.description,
    sapNotificationNumber: c.sapNotificationNumber ?? '',
    startTime: null,
    endTime: new Date(now),
    duration: Math.floor((now - startTime) / MINUTE_MS),
    isPending: false,
    isClassified: true,
  };
  entry.stoppageMinutes = sumDurations(entry);
  entry.status = 'stoppage';
}

/** The same route without pendingStoppageId: an operator-entered stoppage at the hour's start. */
export function addOperatorStoppage(doc: Doc, date: string, hour: number, c: Classification & { duration: number }, newId: NewId): void {
  const entry = hourOf(doc, hour);
  const startTime = new Date(`${date}T${String(hour).padStart(2, '0')}:00:00.000Z`);
  (entry.stoppages as Doc[]).push({
    _id: newId(),
    reason: c.reason,
    description: c.description,
    sapNotificationNumber: c.sapNotificationNumber ?? '',
    startTime,
    endTime: new Date(startTime.getTime() + c.duration * MINUTE_MS),
    duration: c.duration,
    isPending: false,
    isClassified: true,
  });
  entry.stoppageMinutes = sumDurations(entry);
}

/** POST /api/analytics/production-assignment: operator, mold and defects on the hour and the record. */
export function assignProduction(doc: Doc, hour: number, a: { operatorId: unknown; moldId: unknown; defectiveUnits: number }): void {
  const entry = hourOf(doc, hour);
  entry.operatorId = a.operatorId;
  entry.moldId = a.moldId;
  entry.defectiveUnits = a.defectiveUnits;
  doc.operatorId = a.operatorId;
  doc.moldId = a.moldId;
  doc.defectiveUnits = (doc.hourlyData as Doc[]).reduce((sum, h) => sum + (typeof h.defectiveUnits === 'number' ? h.defectiveUnits : 0), 0);
}

/** The dashboard's "unclassified stoppages" card. */
export function unclassifiedCount(docs: Doc[]): number {
  return docs.reduce((n, doc) => n + (doc.hourlyData as Doc[]).reduce((m, h) => m + (h.stoppages as Doc[]).filter((st) => st.reason === 'unclassified').length, 0), 0);
}
