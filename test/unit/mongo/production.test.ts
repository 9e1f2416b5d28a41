import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import type { HourSnapshot } from '../../../lib/shared/messages';
import { dayStart, mergeSnapshots, validateSnapshot, type ValidSnapshot } from '../../../lib/mongo/production';

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const bson = { objectId: (hex?: string) => new ObjectId(hex) };
const T0 = Date.parse('2026-03-10T08:00:00Z');

function snap(over: Partial<HourSnapshot> = {}): ValidSnapshot {
  return validateSnapshot({
    machineId: M, date: '2026-03-10', hour: 8, unitsProduced: 10, runningMinutes: 20, stoppageMinutes: 5, status: 'running',
    stoppages: [{ startTime: T0 + 60_000, endTime: T0 + 360_000, duration: 5, isPending: false }],
    lastActivityTime: T0 + 1_200_000, final: false, revision: 1, ...over,
  });
}

describe('mongo production merge', () => {
  it('builds a new day document in the application shape', () => {
    const now = new Date(T0 + 1_300_000);
    const r = mergeSnapshots(null, [snap()], bson, now);
    assert.equal(r.changed, true);
    const doc = r.insert!;
    assert.equal(doc.unitsProduced, 10);
    assert.equal(doc.defectiveUnits, 0);
    assert.deepEqual(doc.lastActivityTime, new Date(T0 + 1_200_000));
    assert.deepEqual(doc.createdAt, now);
    assert.deepEqual(doc.updatedAt, now);
    const [hour] = doc.hourlyData as Record<string, unknown>[];
    assert.ok(hour._id instanceof ObjectId);
    assert.deepEqual({ ...hour, _id: undefined, stoppages: undefined }, { _id: undefined, hour: 8, unitsProduced: 10, defectiveUnits: 0, status: 'running', runningMinutes: 20, stoppageMinutes: 5, stoppages: undefined });
    const [st] = hour.stoppages as Record<string, unknown>[];
    assert.ok(st._id instanceof ObjectId);
    assert.deepEqual({ ...st, _id: undefined }, { _id: undefined, reason: 'unclassified', description: '', startTime: new Date(T0 + 60_000), endTime: new Date(T0 + 360_000), duration: 5, isPending: false, isClassified: false });
    assert.deepEqual(dayStart('2026-03-10'), new Date('2026-03-10T00:00:00.000Z'));
  });

  it('keeps operator fields and classified stoppages, updates ours, sums the totals', () => {
    const first = mergeSnapshots(null, [snap()], bson, new Date(T0)).insert!;
    const hour = (first.hourlyData as Record<string, unknown>[])[0];
    const opId = new ObjectId();
    const moldId = new ObjectId();
    // What an operator does in the application:
    const existing = {
      ...first, _id: new ObjectId(), operatorId: opId, moldId,
      hourlyData: [{ ...hour, operatorId: opId, moldId, defectiveUnits: 3, stoppages: [{ ...(hour.stoppages as object[])[0], reason: 'breakdown', description: 'belt', isClassified: true, duration: 7 }] }],
    };
    const r = mergeSnapshots(existing, [
      snap({ unitsProduced: 25, revision: 2, stoppages: [{ startTime: T0 + 60_000, endTime: T0 + 420_000, duration: 6, isPending: false }, { startTime: T0 + 1_800_000, endTime: null, duration: 2, isPending: true }] }),
      snap({ hour: 9, unitsProduced: 4, revision: 1, stoppages: [] }),
    ], bson, new Date(T0 + 5000));
    const set = r.set!;
    assert.equal(set.operatorId, undefined, 'record operator fields are not in the update');
    const [h8, h9] = set.hourlyData as Record<string, unknown>[];
    assert.equal(h8._id, hour._id);
    assert.equal(h8.operatorId, opId);
    assert.equal(h8.moldId, moldId);
    assert.equal(h8.defectiveUnits, 3);
    assert.equal(h8.unitsProduced, 25);
    const stoppages = h8.stoppages as Record<string, unknown>[];
    assert.equal(stoppages.length, 2);
    assert.deepEqual([stoppages[0].reason, stoppages[0].duration, stoppages[0].isClassified], ['breakdown', 7, true], 'classified stoppage untouched');
    assert.deepEqual([stoppages[1].reason, stoppages[1].endTime, stoppages[1].isPending], ['unclassified', null, true]);
    assert.equal(h9.hour, 9);
    assert.equal(set.unitsProduced, 29);
    assert.equal(set.defectiveUnits, 3);
    assert.deepEqual(set.s7Revisions, { 8: 2, 9: 1 });
  });

  it('ignores snapshots whose revision is not newer, and keeps updatedAt strictly increasing', () => {
    const doc = { ...mergeSnapshots(null, [snap({ revision: 5 })], bson, new Date(T0)).insert!, _id: new ObjectId() };
    assert.equal(mergeSnapshots(doc, [snap({ revision: 5, unitsProduced: 99 })], bson, new Date(T0)).changed, false);
    assert.equal(mergeSnapshots(doc, [snap({ revision: 4, unitsProduced: 99 })], bson, new Date(T0)).changed, false);
    const newer = mergeSnapshots(doc, [snap({ revision: 6 })], bson, new Date(T0 - 10));
    assert.deepEqual(newer.set!.updatedAt, new Date(T0 + 1));
  });

  it('names what is wrong in a snapshot', () => {
    assert.throws(() => validateSnapshot({ ...snap(), runningMinutes: 61 }), /payload\.runningMinutes: 61 is outside 0\.\.60/);
    assert.throws(() => validateSnapshot({ ...snap(), machineId: 'x' }), /payload\.machineId/);
    assert.throws(() => validateSnapshot({ ...snap(), stoppages: [{ startTime: 'never', duration: 1 }] }), /payload\.stoppages\.0\.startTime/);
    assert.throws(() => validateSnapshot({ ...snap(), hour: 7.5 }), /payload\.hour: expected an integer hour/);
  });
});
