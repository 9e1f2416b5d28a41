/**
 * hourly-aggregator taking over the open hour from productionrecords (as mongo-sink writes it,
 * and as older versions wrote it) when its context store holds nothing, against real
 * MongoDB-compatible servers. On by default.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { dayStart, mergeSnapshots, validateSnapshot, type HourSnapshot } from '../../../lib/app-contract';
import { PlantZone } from '../../../lib/production/plant-time';
import { loadAggregatorWithDb, withScratchDatabase } from '../../helpers/application-database';
import { classifyStoppage } from '../../helpers/application-edits';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { hourUnderWay } from '../../helpers/plant-hour';
import { waitFor } from '../../helpers/wait';

const M1 = '65a1b2c3d4e5f60718293a4b';
const ZONE = 'Europe/Berlin';
const zone = new PlantZone(ZONE);

describeEachMongoServer('hourly-aggregator reading the application\'s database', (target) => {
  afterEach(async () => {
    await helper.unload();
  });

  it('continues the open hour of an older version\'s document (plant-dated): units, minutes and the open automatic stoppage; operators\' stoppages stay theirs', async function () {
    this.timeout(120_000);
    const { server, driver } = target();
    const hourStart = await hourUnderWay(zone);
    const now = Date.now();
    const { hour } = zone.label(hourStart);
    // Older versions dated the document by the plant-local date.
    const date = new Date(hourStart + zone.offsetMs(hourStart)).toISOString().slice(0, 10);
    const stoppageStart = Math.max(hourStart, now - 60_000);
    await withScratchDatabase(target(), 'production_restore', async (db, database) => {
      await db.collection('productionrecords').insertOne({
        machineId: new driver.ObjectId(M1),
        startTime: new Date(`${date}T00:00:00.000Z`),
        unitsProduced: 10,
        defectiveUnits: 1,
        s7Revisions: { [String(hour)]: 5 },
        hourlyData: [{
          _id: new driver.ObjectId(), hour, unitsProduced: 10, defectiveUnits: 1, status: 'stoppage', runningMinutes: 5, stoppageMinutes: 3,
          stoppages: [
            { _id: new driver.ObjectId(), reason: 'unclassified', description: '', startTime: new Date(stoppageStart), endTime: null, duration: 1, isPending: true, isClassified: false },
            { _id: new driver.ObjectId(), reason: 'maintenance', description: 'oil', startTime: new Date(hourStart), endTime: new Date(hourStart + 60_000), duration: 1, isPending: false, isClassified: true },
          ],
        }],
        createdAt: new Date(), updatedAt: new Date(),
      });

      // restoreFromDb is not set: on by default.
      await loadAggregatorWithDb(server, database, { timeZone: ZONE, snapshotMinutes: 0.005, wires: [['out'], []] }, ['out']);
      const snapshots: HourSnapshot[] = [];
      helper.getNode('out').on('input', (msg: NodeMessage) => snapshots.push(msg.payload as HourSnapshot));
      const utcDate = zone.label(hourStart).date;
      const resent = await waitFor('the open hour re-sent after the start', () => snapshots.find((s) => s.date === utcDate && s.hour === hour));
      assert.equal(resent.unitsProduced, 10, 'sent before any input');
      assert.deepEqual(resent.tally?.base, 10, "the stored units are the base, not this session's");
      const unitAt = Date.now() - 2500;
      helper.getNode('agg').receive({ topic: 'units', units: { key: M1, machineId: M1, delta: 1, total: 1, timestamp: unitAt, source: 'counter' } } as NodeMessage);

      await waitFor('a snapshot with the new unit', () => snapshots.some((s) => s.unitsProduced === 11));
      const last = snapshots.filter((s) => s.date === utcDate && s.hour === hour).at(-1);
      assert.ok(last, `a snapshot of ${utcDate} ${hour}:00`);
      assert.equal(last.unitsProduced, 11, 'the stored 10 units continue');
      assert.ok(last.runningMinutes >= 5, `stored running minutes kept: ${last.runningMinutes}`);
      assert.deepEqual(last.stoppages.map((s) => [s.startTime, s.endTime, s.isPending]), [[stoppageStart, unitAt, false]], 'the open stoppage ends with the unit; the operator\'s is not ours');
      assert.ok(last.revision > 5);
    });
  });

  it("continues from what mongo-sink wrote: units by session, and our open stoppage after an operator classified it", async function () {
    this.timeout(120_000);
    const { server, driver } = target();
    const hourStart = await hourUnderWay(zone);
    const now = Date.now();
    const { date, hour } = zone.label(hourStart);
    const stoppageStart = Math.max(hourStart, now - 60_000);
    await withScratchDatabase(target(), 'production_restore_ledger', async (db, database) => {
      // What mongo-sink wrote for an earlier session, then the operator classified the open stoppage.
      const earlier = validateSnapshot({
        machineId: M1, date, hour, unitsProduced: 10, runningMinutes: 0, stoppageMinutes: 1, status: 'stoppage',
        stoppages: [{ startTime: stoppageStart, endTime: null, duration: 1, isPending: true }], final: false, revision: now - 5000,
        session: 'earlier', tally: { base: 0, sessions: [{ id: 'earlier', units: 10 }] }, runMasks: [{ start: hourStart, bits: [0, 0] }],
      });
      const doc: Record<string, unknown> = {
        machineId: new driver.ObjectId(M1), startTime: dayStart(date),
        ...mergeSnapshots(null, [earlier], { objectId: () => new driver.ObjectId() }, new Date(now)).insert!,
      };
      const ours = ((doc.hourlyData as Record<string, unknown>[])[0].stoppages as Record<string, unknown>[])[0]._id;
      classifyStoppage(doc, hour, ours, { reason: 'breakdown', description: 'belt', sapNotificationNumber: '1' }, now, () => new driver.ObjectId());
      await db.collection('productionrecords').insertOne(doc);

      await loadAggregatorWithDb(server, database, { timeZone: ZONE, snapshotMinutes: 0.005, wires: [['out'], []] }, ['out']);
      const snapshots: HourSnapshot[] = [];
      helper.getNode('out').on('input', (msg: NodeMessage) => snapshots.push(msg.payload as HourSnapshot));
      await waitFor('the open hour re-sent after the start', () => snapshots.some((s) => s.date === date && s.hour === hour));
      const unitAt = Date.now() - 2500;
      helper.getNode('agg').receive({ topic: 'units', units: { key: M1, machineId: M1, delta: 1, total: 1, timestamp: unitAt, source: 'counter' } } as NodeMessage);
      const last = await waitFor('a snapshot with the new unit', () => snapshots.filter((s) => s.date === date && s.hour === hour && s.unitsProduced === 11).at(-1));
      assert.deepEqual(last.tally?.sessions.find((s) => s.id === 'earlier'), { id: 'earlier', units: 10 }, "the earlier session's units, carried");
      assert.deepEqual(last.tally?.sessions.find((s) => s.id === last.session)?.units, 1);
      assert.deepEqual(last.stoppages.map((s) => [s.startTime, s.endTime, s.isPending]), [[stoppageStart, unitAt, false]], 'the classified standstill continued and ended with the unit');
    });
  });

  it('takes the signal timeouts from the configs document before the first input', async function () {
    this.timeout(60_000);
    const { server } = target();
    await withScratchDatabase(target(), 'production_configs', async (db, database) => {
      await db.collection('configs').insertOne({ signalTimeouts: { powerSignalTimeout: 0.02, cycleSignalTimeout: 0.01 }, shifts: [] });
      await loadAggregatorWithDb(server, database, { timeZone: ZONE, timeoutsFromDb: true, wires: [[], ['status']] }, ['status']);
      const statuses: { status: string; timestamp: number }[] = [];
      helper.getNode('status').on('input', (msg: NodeMessage) => statuses.push(msg.payload as { status: string; timestamp: number }));
      const t = Date.now() - 3000;
      const signal = (kind: string) => ({ name: kind, address: 'DQ.0', dataType: 'BOOL', kind, machineId: M1 });
      helper.getNode('agg').receive({ readings: [{ signal: signal('power'), value: true, quality: 'good', timestamp: t }, { signal: signal('unit-cycle'), value: true, quality: 'good', timestamp: t }] } as unknown as NodeMessage);
      await waitFor('three status changes', () => statuses.length >= 3);
      // 0.01 and 0.02 minutes from the configs document, not the dialog's 2 and 5.
      assert.deepEqual(statuses.map((s) => [s.status, s.timestamp - t]), [['running', 0], ['stoppage', 601], ['inactive', 1201]]);
    });
  });
});
