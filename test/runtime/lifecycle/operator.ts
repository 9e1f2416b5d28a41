/**
 * Operators' edits, done with the same document operations as the application's backend
 * (line-sentry server/routes/analytics.js; FRONTEND-CONTRACT.md "Operators' edits"): load the
 * day's document selected by the UTC date, change it in memory as the route does, and save the
 * whole document back (replace by _id, timestamps and version key as Mongoose sets them).
 */
import type { Db, Document, ObjectId } from 'mongodb';

export interface OperatorContext {
  db: Db;
  ObjectId: new () => ObjectId;
  /** The application server's clock. */
  now: () => Date;
}

/** What the route did: saved, or why it answered with an error (as the application's 404). */
export type EditOutcome = { saved: true; document: Document } | { saved: false; why: string };

/** The day's document as every route selects it: startTime within the UTC date. */
async function dayDocument(ctx: OperatorContext, machineId: ObjectId, date: string): Promise<Document | null> {
  return ctx.db.collection('productionrecords').findOne({
    machineId,
    startTime: { $gte: new Date(`${date}T00:00:00.000Z`), $lte: new Date(`${date}T23:59:59.999Z`) },
  });
}

/** Mongoose's save of a changed document: the whole document back, updatedAt now, version key up. */
async function save(ctx: OperatorContext, doc: Document): Promise<Document> {
  const saved = { ...doc, updatedAt: ctx.now(), __v: ((doc.__v as number | undefined) ?? 0) + 1 };
  await ctx.db.collection('productionrecords').replaceOne({ _id: doc._id }, saved);
  return saved;
}

function hourEntry(ctx: OperatorContext, doc: Document, hour: number, status: string): Document {
  const hours = doc.hourlyData as Document[];
  let entry = hours.find((h) => h.hour === hour);
  if (!entry) {
    entry = { _id: new ctx.ObjectId(), hour, unitsProduced: 0, defectiveUnits: 0, status, runningMinutes: 0, stoppageMinutes: 0, stoppages: [] };
    hours.push(entry);
  }
  return entry;
}

const sumOf = (items: Document[], field: string): number => items.reduce((sum, s) => sum + ((s[field] as number) || 0), 0);

/**
 * POST /api/analytics/stoppage with pendingStoppageId: the stoppage found by _id (or the first
 * `unclassified` one) is replaced by a spread of the Mongoose sub-document, which keeps none of
 * its fields: the saved stoppage has no startTime (null) and a new _id.
 */
export async function classifyPendingStoppage(ctx: OperatorContext, request: {
  machineId: ObjectId; date: string; hour: number; pendingStoppageId: string;
  reason: string; description: string; sapNotificationNumber: string;
}): Promise<EditOutcome> {
  const doc = await dayDocument(ctx, request.machineId, request.date);
  if (!doc) return { saved: false, why: `no productionrecords document of ${request.date} (UTC date) for the machine` };
  const entry = (doc.hourlyData as Document[]).find((h) => h.hour === request.hour);
  const stoppages = (entry?.stoppages ?? []) as Document[];
  const index = stoppages.findIndex((s) => String(s._id) === request.pendingStoppageId || s.reason === 'unclassified');
  if (!entry || index < 0) return { saved: false, why: `pending stoppage not found in hour ${request.hour} of ${request.date}` };
  const now = ctx.now();
  const duration = Math.floor((now.getTime() - (stoppages[index].startTime as Date).getTime()) / 60_000);
  stoppages[index] = {
    _id: new ctx.ObjectId(),
    reason: request.reason,
    description: request.description,
    startTime: null,
    endTime: now,
    duration,
    ...(request.reason === 'breakdown' ? { sapNotificationNumber: request.sapNotificationNumber } : {}),
    isPending: false,
    isClassified: true,
  };
  entry.stoppageMinutes = sumOf(stoppages, 'duration');
  entry.status = 'stoppage';
  return { saved: true, document: await save(ctx, doc) };
}

/** POST /api/analytics/stoppage without pendingStoppageId: a classified stoppage of `duration` minutes at `date`T`hour`:00Z. */
export async function addOperatorStoppage(ctx: OperatorContext, request: {
  machineId: ObjectId; date: string; hour: number; reason: string; description: string; duration: number;
}): Promise<EditOutcome> {
  const doc = await dayDocument(ctx, request.machineId, request.date);
  if (!doc) return { saved: false, why: `no productionrecords document of ${request.date} (UTC date) for the machine` };
  const entry = hourEntry(ctx, doc, request.hour, 'stoppage');
  const startTime = new Date(`${request.date}T${String(request.hour).padStart(2, '0')}:00:00.000Z`);
  const stoppages = entry.stoppages as Document[];
  stoppages.push({
    _id: new ctx.ObjectId(),
    reason: request.reason,
    description: request.description,
    startTime,
    endTime: new Date(startTime.getTime() + request.duration * 60_000),
    duration: request.duration,
    isPending: false,
    isClassified: true,
  });
  entry.stoppageMinutes = sumOf(stoppages, 'duration');
  entry.status = 'stoppage';
  return { saved: true, document: await save(ctx, doc) };
}

/** POST /api/analytics/production-assignment: operator, mould and defects of one hour; the record's totals summed again. */
export async function assignProduction(ctx: OperatorContext, request: {
  machineId: ObjectId; date: string; hour: number; operatorId: ObjectId; moldId: ObjectId; defectiveUnits: number;
}): Promise<EditOutcome> {
  const doc = await dayDocument(ctx, request.machineId, request.date);
  if (!doc) return { saved: false, why: `no productionrecords document of ${request.date} (UTC date) for the machine` };
  const entry = hourEntry(ctx, doc, request.hour, 'inactive');
  entry.operatorId = request.operatorId;
  entry.moldId = request.moldId;
  entry.defectiveUnits = request.defectiveUnits;
  const hours = doc.hourlyData as Document[];
  doc.unitsProduced = sumOf(hours, 'unitsProduced');
  doc.defectiveUnits = sumOf(hours, 'defectiveUnits');
  return { saved: true, document: await save(ctx, doc) };
}
