import assert from 'node:assert/strict';
import { storedHoursOf } from '../../../lib/production/stored-hours';

const M1 = '65a1b2c3d4e5f60718293a4b';

describe('production/stored-hours', () => {
  it('reads the hours of a productionrecords document, automatic stoppages only', () => {
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
            { reason: 'unclassified', isClassified: false, isPending: true, startTime: new Date('2026-06-01T10:18:00Z'), endTime: null },
          ],
        },
        { hour: 'x' },
        { hour: 11, status: 'weird' },
      ],
    };
    assert.deepEqual(storedHoursOf(doc), [
      {
        machineId: M1, date: '2026-06-01', hour: 10, unitsProduced: 40, runningMinutes: 12, status: 'stoppage', revision: 1234,
        stoppages: [{ startTime: Date.parse('2026-06-01T10:05:00Z'), endTime: Date.parse('2026-06-01T10:07:00Z') }, { startTime: Date.parse('2026-06-01T10:18:00Z'), endTime: null }],
      },
      { machineId: M1, date: '2026-06-01', hour: 11, unitsProduced: 0, runningMinutes: 0, status: 'inactive', revision: 0, stoppages: [] },
    ]);
    assert.deepEqual(storedHoursOf({ machineId: 'nope', startTime: new Date(), hourlyData: [] }), []);
  });
});
