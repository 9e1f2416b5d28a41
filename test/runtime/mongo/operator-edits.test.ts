/**
 * mongo-sink in a real Node-RED runtime writing productionrecords while an operator works on the
 * same document the way the application's backend does (load the day's document, change it in
 * memory, save the whole document back), against every test server: operators' fields stay
 * theirs, our stoppage is extended and never added twice, a restarted aggregator adds its units
 * on top, and both of the application's views show the same stoppage minutes.
 */
import assert from 'node:assert/strict';
import type { Document } from 'mongodb';
import type { HourSnapshot } from '../../../lib/app-contract';
import { useScratchDatabase } from '../../helpers/application-database';
import { addOperatorStoppage, assignProduction, classifyStoppage, unclassifiedCount } from '../../helpers/application-edits';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';
import { T0, counter, loadSink, sinkFlow } from './sink-harness';

const MIN = 60_000;
const DATE = '2026-03-10';

describeEachMongoServer("mongo-sink and the application's operator edits", (target) => {
  afterEach(async () => {
    await helper.unload();
  });
  const scratch = useScratchDatabase(target, 'operator_edits');

  it('keeps every operator edit, extends the classified stoppage, and never lowers a count', async function () {
    this.timeout(120_000);
    const { server, driver } = target();
    const machine = new driver.ObjectId();
    const machineId = machine.toHexString();
    await loadSink(server, sinkFlow(server.uri, scratch().name));
    const written = counter('written');
    const sink = helper.getNode('sink');
    const records = scratch().db.collection('productionrecords');

    /** The aggregator's snapshot of hour 8 from `session`, whose own units are `units` (no carried units). */
    const snapshot = (session: string, revision: number, units: number, stoppages: HourSnapshot['stoppages']): HourSnapshot => ({
      machineId, date: DATE, hour: 8, unitsProduced: units, runningMinutes: 10, stoppageMinutes: Math.min(60, stoppages.reduce((s, st) => s + st.duration, 0)),
      status: stoppages.some((st) => st.endTime === null) ? 'stoppage' : 'running', stoppages, final: false, revision,
      session, tally: { base: 0, sessions: [{ id: session, units }] }, runMasks: [{ start: T0, bits: [0x3ff, 0] }],
    });
    let sent = 0;
    const write = async (payload: HourSnapshot): Promise<void> => {
      sent += 1;
      const expected = sent;
      sink.receive({ topic: 'production', payload } as never);
      await waitFor(`the sink's write of snapshot ${expected}`, () => written.count >= expected);
    };
    /** The application: load the day's document, edit it, save it whole. */
    const operator = async (edit: (doc: Document) => void): Promise<void> => {
      const doc = await records.findOne({ machineId: machine, startTime: { $gte: new Date(`${DATE}T00:00:00.000Z`), $lte: new Date(`${DATE}T23:59:59.999Z`) } });
      assert.ok(doc, "the application finds the day's document by its UTC date");
      edit(doc);
      doc.updatedAt = new Date();
      await records.replaceOne({ _id: doc._id }, doc);
    };
    const hour8 = (doc: Document): Document => doc.hourlyData.find((h: Document) => h.hour === 8);
    const newId = () => new driver.ObjectId();
    const operatorId = new driver.ObjectId();
    const moldId = new driver.ObjectId();

    // Session A: 5 units, then the machine stands still from 08:01.
    await write(snapshot('A', 1, 5, [{ startTime: T0 + MIN, endTime: null, duration: 3, isPending: true }]));
    const first = (await records.findOne({ machineId: machine }))!;
    assert.equal(unclassifiedCount([first]), 1);
    const ours = hour8(first).stoppages[0]._id;

    await operator((doc) => {
      classifyStoppage(doc, 8, ours, { reason: 'breakdown', description: 'belt torn', sapNotificationNumber: '4711' }, T0 + 5 * MIN, newId);
      addOperatorStoppage(doc, DATE, 8, { reason: 'planned', description: 'oil change', duration: 10 }, newId);
      assignProduction(doc, 8, { operatorId, moldId, defectiveUnits: 2 });
    });
    const edited = (await records.findOne({ machineId: machine }))!;
    const classified = hour8(edited).stoppages[0];
    assert.equal(classified.startTime, null, 'the classify route lost startTime, as the application does');

    // Still standing still, then the next unit ends the standstill at 08:12.
    await write(snapshot('A', 2, 5, [{ startTime: T0 + MIN, endTime: null, duration: 9, isPending: true }]));
    let doc = (await records.findOne({ machineId: machine }))!;
    assert.equal(unclassifiedCount([doc]), 0, 'no second automatic stoppage for the classified standstill');
    assert.deepEqual(hour8(doc).stoppages.map((st: Document) => [st.reason, st.duration]), [['breakdown', 9], ['planned', 10]]);
    await write(snapshot('A', 3, 6, [{ startTime: T0 + MIN, endTime: T0 + 12 * MIN, duration: 11, isPending: false }]));

    // A deploy with a memory context store: session B starts from nothing, with a lower revision.
    await write(snapshot('B', 1, 2, []));
    // A replay of one of A's snapshots (a retried batch) changes nothing.
    const beforeReplay = await records.findOne({ machineId: machine });
    await write(snapshot('A', 2, 5, [{ startTime: T0 + MIN, endTime: null, duration: 9, isPending: true }]));
    doc = (await records.findOne({ machineId: machine }))!;
    assert.deepEqual(doc, beforeReplay, 'the replay changed nothing');

    const h = hour8(doc);
    assert.equal(h.unitsProduced, 8, "B's 2 units on top of A's 6");
    assert.equal(doc.unitsProduced, 8);
    assert.equal(h._id.toHexString(), hour8(first)._id.toHexString());
    assert.deepEqual([doc.operatorId?.toHexString(), doc.moldId?.toHexString(), doc.defectiveUnits], [operatorId.toHexString(), moldId.toHexString(), 2]);
    assert.deepEqual([h.operatorId?.toHexString(), h.moldId?.toHexString(), h.defectiveUnits], [operatorId.toHexString(), moldId.toHexString(), 2]);
    const [breakdown, planned] = h.stoppages;
    assert.equal(h.stoppages.length, 2);
    assert.deepEqual(
      [breakdown._id.toHexString(), breakdown.reason, breakdown.description, breakdown.sapNotificationNumber, breakdown.isClassified, breakdown.isPending, breakdown.startTime],
      [classified._id.toHexString(), 'breakdown', 'belt torn', '4711', true, false, null],
    );
    assert.deepEqual([breakdown.duration, breakdown.endTime.getTime()], [11, T0 + 12 * MIN], 'closed at the next unit');
    assert.deepEqual([planned.reason, planned.description, planned.duration], ['planned', 'oil change', 10]);
    // The timeline sums the durations, machine-stats and OEE read stoppageMinutes: the same 21.
    assert.equal(h.stoppageMinutes, 21);
    assert.ok(h.runningMinutes + h.stoppageMinutes <= 60);
    assert.equal(h.runningMinutes, 10);
  });
});
