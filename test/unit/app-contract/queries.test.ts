import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { dayStart, mergeSnapshots, storedHoursOf, validateSnapshot } from '../../../lib/app-contract';
import { classifyStoppage } from '../../helpers/application-edits';

const M1 = '65a1b2c3d4e5f60718293a4b';
const at = (iso: string): number => Date.parse(iso);

describe('app-contract: reading day documents back', () => {
  it('reads a document written before the ledger: plant-dated, unclassified stoppages by startTime', () => {
    const doc = {
      machineId: { toString: () => M1.toUpperCase() },
      startTime: new Date('2026-06-01T00:00:00.000Z'),
      s7Revisions: { 10: 1234 },
      hourlyData: [
        {
          hour: 10, unitsProduced: 40, defectiveUnits: 2, status: 'stoppage', runningMinutes: 12, stoppageMinutes: 5,
          stoppages: [
            { reason: 'unclassified', isClassified: false, isPending: false, startTime: new Date('2026-06-01T10:05:00Z'), endTime: new Date('2026-06-01T10:07:00Z') },
            { reason: 'breakdown', isClassified: true, isPending: false, startTime: new Date('2026-06-01T10:08:00Z'), endTime: new Date('2026-06-01T10:09:00Z') },
            // No reason and not classified: a pending automatic stoppage, as the merge sees it too.
            { isClassified: false, isPending: true, startTime: new Date('2026-06-01T10:18:00Z'), endTime: null },
          ],
        },
        { hour: 'x' },
        { hour: 11, status: 'weird' },
      ],
    };
    assert.deepEqual(storedHoursOf(doc), [
      {
        machineId: M1, date: '2026-06-01', hour: 10, plantDated: true, tally: { base: 40, sessions: [] }, runMasks: [], minutes: 12, status: 'stoppage', revision: 1234,
        stoppages: [{ startTime: at('2026-06-01T10:05:00Z'), endTime: at('2026-06-01T10:07:00Z') }, { startTime: at('2026-06-01T10:18:00Z'), endTime: null }],
      },
      { machineId: M1, date: '2026-06-01', hour: 11, plantDated: true, tally: { base: 0, sessions: [] }, runMasks: [], minutes: 0, status: 'inactive', revision: 0, stoppages: [] },
    ]);
    assert.deepEqual(storedHoursOf({ machineId: 'nope', startTime: new Date(), hourlyData: [] }), []);
  });

  it('reads what the merge wrote: units by session, minute bits, our stoppage even after an operator classified it', () => {
    const T = at('2026-06-01T10:00:00Z');
    const snap = validateSnapshot({
      machineId: M1, date: '2026-06-01', hour: 10, unitsProduced: 7, runningMinutes: 3, stoppageMinutes: 2, status: 'stoppage',
      stoppages: [{ startTime: T + 180_000, endTime: null, duration: 2, isPending: true }], final: false, revision: 9,
      session: 'A', tally: { base: 0, sessions: [{ id: 'A', units: 7 }] }, runMasks: [{ start: T, bits: [7, 0] }],
    });
    const doc: Record<string, unknown> = { _id: new ObjectId(), machineId: new ObjectId(M1), startTime: dayStart('2026-06-01'), ...mergeSnapshots(null, [snap], { objectId: () => new ObjectId() }, new Date(T)).insert! };
    const hour = (doc.hourlyData as Record<string, unknown>[])[0];
    classifyStoppage(doc, 10, (hour.stoppages as Record<string, unknown>[])[0]._id, { reason: 'breakdown', description: '' }, T + 240_000, () => new ObjectId());
    assert.deepEqual(storedHoursOf(doc), [{
      machineId: M1, date: '2026-06-01', hour: 10, plantDated: false, tally: { base: 0, sessions: [{ id: 'A', units: 7 }] }, runMasks: [{ start: T, bits: [7, 0] }],
      minutes: 3, status: 'stoppage', revision: 9, stoppages: [{ startTime: T + 180_000, endTime: null }],
    }]);
  });

  it('a slot only an older version wrote stays plant-dated in a document the merge has since written to', () => {
    const T = at('2026-06-01T10:00:00Z');
    const snap = validateSnapshot({
      machineId: M1, date: '2026-06-01', hour: 10, unitsProduced: 2, runningMinutes: 0, stoppageMinutes: 0, status: 'running', stoppages: [], final: false, revision: T,
      session: 'A', tally: { base: 0, sessions: [{ id: 'A', units: 2 }] }, runMasks: [{ start: T, bits: [0, 0] }],
    });
    const legacy = {
      _id: new ObjectId(), machineId: new ObjectId(M1), startTime: dayStart('2026-06-01'), s7Revisions: { 0: at('2026-05-31T23:10:00Z') }, updatedAt: new Date(0),
      hourlyData: [{ _id: new ObjectId(), hour: 0, unitsProduced: 5, defectiveUnits: 0, status: 'running', runningMinutes: 9, stoppageMinutes: 0, stoppages: [] }],
    };
    const doc = { ...legacy, ...mergeSnapshots(legacy, [snap], { objectId: () => new ObjectId() }, new Date(T)).set! };
    assert.deepEqual(storedHoursOf(doc).map((h) => [h.hour, h.plantDated]), [[0, true], [10, false]]);
  });
});
