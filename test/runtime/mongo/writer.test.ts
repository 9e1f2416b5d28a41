/**
 * The batch writer over the wire, against every test server with the driver that reaches it:
 * the application's shapes and types, operator edits surviving, replays changing nothing.
 */
import assert from 'node:assert/strict';
import type { Db, MongoClient } from 'mongodb';
import type { GenericItem, ProductionItem, SignalItem, StatusItem } from '../../../lib/mongo/intake';
import { validateSnapshot, type HourSnapshot } from '../../../lib/app-contract';
import type { BsonTypes, CollectionLike, DbLike } from '../../../lib/mongo/store';
import { BatchWriter, ensureIndexes } from '../../../lib/mongo/writer';
import { describeEachMongoServer } from '../../helpers/mongo-servers';

const T0 = Date.parse('2026-03-10T08:00:00Z');

function snapshot(machineId: string, over: Partial<HourSnapshot> = {}): ProductionItem {
  return {
    kind: 'production',
    collection: 'productionrecords',
    snapshot: validateSnapshot({
      machineId, date: '2026-03-10', hour: 8, unitsProduced: 10, runningMinutes: 20, stoppageMinutes: 5, status: 'running',
      stoppages: [{ startTime: T0 + 60_000, endTime: T0 + 360_000, duration: 5, isPending: false }],
      lastActivityTime: T0 + 1_200_000, final: false, revision: 1, ...over,
    }),
  };
}

describeEachMongoServer('mongo batch writer', (target) => {
  let client: MongoClient;
  let db: Db;
  let writer: BatchWriter;
  let hex: () => string;
  let dbName: string;

  before(async () => {
    const { server, driver } = target();
    client = new driver.MongoClient(server.uri) as unknown as MongoClient;
    dbName = `writer_${Date.now()}`;
    db = client.db(dbName);
    writer = new BatchWriter(driver as unknown as BsonTypes);
    hex = () => new driver.ObjectId().toHexString();
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  const asDb = (): DbLike => db as unknown as DbLike;

  it('writes signal history, latest values and machine status in the application shape', async () => {
    const { driver } = target();
    const [machineId, sensorId] = [hex(), hex()];
    const history: SignalItem[] = [0, 1, 0].map((value, i) => ({ kind: 'history', collection: 'signaldatas', id: hex(), sensorId, machineId, value, timestamp: T0 + i * 1000 }));
    const outcomes = await writer.write(asDb(), 'history', 'signaldatas', history);
    assert.deepEqual(outcomes, [{ ok: true }, { ok: true }, { ok: true }]);
    const docs = await db.collection('signaldatas').find({ sensorId: new driver.ObjectId(sensorId) }).sort({ timestamp: 1 }).toArray();
    assert.equal(docs.length, 3);
    for (const doc of docs) {
      assert.ok(doc._id instanceof driver.ObjectId && doc.sensorId instanceof driver.ObjectId && doc.machineId instanceof driver.ObjectId);
      assert.equal(doc.machineId.toHexString(), machineId);
      assert.ok(doc.timestamp instanceof Date && doc.createdAt instanceof Date && doc.updatedAt instanceof Date);
      assert.deepEqual(Object.keys(doc).sort(), ['_id', 'createdAt', 'machineId', 'sensorId', 'timestamp', 'updatedAt', 'value']);
    }
    assert.deepEqual(docs.map((d) => [d.value, d.timestamp.getTime()]), [[0, T0], [1, T0 + 1000], [0, T0 + 2000]]);

    const latest = (value: number, ts: number): SignalItem => ({ kind: 'latest', collection: 'latest', sensorId, machineId, value, timestamp: ts });
    await writer.write(asDb(), 'latest', 'latest', [latest(1, T0)]);
    const firstLatest = await db.collection('latest').findOne({ sensorId: new driver.ObjectId(sensorId) });
    await writer.write(asDb(), 'latest', 'latest', [latest(0, T0 + 5000)]);
    const all = await db.collection('latest').find({ sensorId: new driver.ObjectId(sensorId) }).toArray();
    assert.equal(all.length, 1, 'one document per sensor');
    assert.equal(all[0].value, 0);
    assert.equal(all[0].timestamp.getTime(), T0 + 5000);
    assert.equal(all[0].createdAt.getTime(), firstLatest!.createdAt.getTime(), 'createdAt kept');

    const machine = new driver.ObjectId();
    await db.collection('machines').insertOne({ _id: machine, name: 'M1', status: 'inactive', isActive: true, createdAt: new Date(0), updatedAt: new Date(0) });
    const status = (id: string): StatusItem => ({ kind: 'status', collection: 'machines', machineId: id, status: 'running', timestamp: T0 });
    const missing = hex();
    const result = await writer.write(asDb(), 'status', 'machines', [status(machine.toHexString()), status(missing)]);
    assert.deepEqual(result, [{ ok: true }, { ok: false, error: `machines: no machine with _id ${missing}` }]);
    const m = await db.collection('machines').findOne({ _id: machine });
    assert.equal(m!.status, 'running');
    assert.ok(m!.updatedAt.getTime() > 0);
    assert.equal(m!.name, 'M1');
    assert.equal(await db.collection('machines').countDocuments({}), 1, 'no machine created by a status');
  });

  it('counts a replayed history batch as written once (duplicate _id)', async () => {
    const [machineId, sensorId] = [hex(), hex()];
    const batch: SignalItem[] = Array.from({ length: 50 }, (_, i) => ({ kind: 'history', collection: 'replay', id: hex(), sensorId, machineId, value: i, timestamp: T0 + i }));
    await writer.write(asDb(), 'history', 'replay', batch.slice(0, 20));
    const outcomes = await writer.write(asDb(), 'history', 'replay', batch);
    assert.equal(outcomes.filter((o) => o.ok && o.unchanged).length, 20);
    assert.equal(outcomes.filter((o) => o.ok && !o.unchanged).length, 30);
    assert.equal(await db.collection('replay').countDocuments({}), 50);
  });

  it('writes a production day document exactly as the application reads it', async () => {
    const { driver } = target();
    const machineId = hex();
    const out = await writer.write(asDb(), 'production', 'productionrecords', [snapshot(machineId), snapshot(machineId, { hour: 9, unitsProduced: 3, revision: 1, stoppages: [] })]);
    assert.deepEqual(out, [{ ok: true }, { ok: true }]);
    const docs = await db.collection('productionrecords').find({ machineId: new driver.ObjectId(machineId) }).toArray();
    assert.equal(docs.length, 1, 'one document per machine per day');
    const doc = docs[0];
    assert.ok(doc._id instanceof driver.ObjectId && doc.machineId instanceof driver.ObjectId);
    assert.equal(doc.startTime.toISOString(), '2026-03-10T00:00:00.000Z');
    assert.ok(doc.createdAt instanceof Date && doc.updatedAt instanceof Date && doc.lastActivityTime instanceof Date);
    assert.equal(doc.unitsProduced, 13);
    assert.equal(doc.defectiveUnits, 0);
    assert.deepEqual(doc.hourlyData.map((h: { hour: number }) => h.hour), [8, 9]);
    const h8 = doc.hourlyData[0];
    assert.ok(h8._id instanceof driver.ObjectId);
    assert.deepEqual([h8.unitsProduced, h8.defectiveUnits, h8.runningMinutes, h8.stoppageMinutes, h8.status], [10, 0, 20, 5, 'running']);
    const st = h8.stoppages[0];
    assert.ok(st._id instanceof driver.ObjectId && st.startTime instanceof Date && st.endTime instanceof Date);
    assert.deepEqual([st.reason, st.duration, st.isPending, st.isClassified], ['unclassified', 5, false, false]);
  });

  it("keeps an operator's edits made between two writes, and a replay changes nothing", async () => {
    const { driver } = target();
    const machineId = hex();
    const coll = db.collection('productionrecords');
    await writer.write(asDb(), 'production', 'productionrecords', [snapshot(machineId)]);
    const before = await coll.findOne({ machineId: new driver.ObjectId(machineId) });
    const [operatorId, moldId] = [new driver.ObjectId(), new driver.ObjectId()];
    // The application (Mongoose) saves the operator's edits by path, and bumps updatedAt.
    await coll.updateOne({ _id: before!._id }, {
      $set: {
        operatorId, moldId,
        'hourlyData.0.operatorId': operatorId, 'hourlyData.0.moldId': moldId, 'hourlyData.0.defectiveUnits': 2,
        'hourlyData.0.stoppages.0.reason': 'breakdown', 'hourlyData.0.stoppages.0.description': 'belt torn',
        'hourlyData.0.stoppages.0.isClassified': true, 'hourlyData.0.stoppages.0.sapNotificationNumber': '4711',
        updatedAt: new Date(),
      },
    });
    const update = [snapshot(machineId, { unitsProduced: 30, revision: 2, stoppages: [{ startTime: T0 + 60_000, endTime: T0 + 500_000, duration: 7, isPending: false }] })];
    await writer.write(asDb(), 'production', 'productionrecords', update);
    const after = await coll.findOne({ _id: before!._id });
    assert.equal(after!.operatorId.toHexString(), operatorId.toHexString());
    assert.equal(after!.moldId.toHexString(), moldId.toHexString());
    const h = after!.hourlyData[0];
    assert.equal(h._id.toHexString(), before!.hourlyData[0]._id.toHexString());
    assert.equal(h.operatorId.toHexString(), operatorId.toHexString());
    assert.equal(h.moldId.toHexString(), moldId.toHexString());
    assert.equal(h.defectiveUnits, 2);
    assert.equal(h.unitsProduced, 30);
    // Classified, so the classification stays the operator's; the standstill it stands for went on (5 -> 7 minutes), as the application's own ingestion extends it.
    assert.deepEqual([h.stoppages[0].reason, h.stoppages[0].description, h.stoppages[0].isClassified, h.stoppages[0].sapNotificationNumber, h.stoppages[0].duration], ['breakdown', 'belt torn', true, '4711', 7]);
    assert.equal(h.stoppages.length, 1);
    assert.equal(after!.unitsProduced, 30);
    assert.equal(after!.defectiveUnits, 2);

    const replay = await writer.write(asDb(), 'production', 'productionrecords', [...update, snapshot(machineId)]);
    assert.deepEqual(replay, [{ ok: true, unchanged: true }, { ok: true, unchanged: true }]);
    assert.deepEqual(await coll.findOne({ _id: before!._id }), after, 'replay changed nothing');
  });

  it('merges into a save the application makes between our read and our write (compare-and-swap)', async () => {
    const { driver } = target();
    const machineId = hex();
    const real = db.collection('productionrecords');
    await writer.write(asDb(), 'production', 'productionrecords', [snapshot(machineId)]);
    const retriesBefore = writer.casRetries;
    let interfered = false;
    // The application saves right after our read, before our write.
    const racing: CollectionLike = Object.assign(Object.create(real), {
      findOne: async (filter: object, options?: object) => {
        const doc = await real.findOne(filter, options);
        if (!interfered && doc) {
          interfered = true;
          await real.updateOne({ _id: doc._id }, { $set: { 'hourlyData.0.defectiveUnits': 4, updatedAt: new Date(Date.now() + 60_000) } });
        }
        return doc;
      },
    });
    const racingDb: DbLike = { collection: (name: string) => (name === 'productionrecords' ? racing : (db.collection(name) as unknown as CollectionLike)) };
    await writer.write(racingDb, 'production', 'productionrecords', [snapshot(machineId, { unitsProduced: 40, revision: 2 })]);
    assert.ok(interfered);
    assert.equal(writer.casRetries - retriesBefore, 1, 'the missed compare-and-swap is counted once');
    const doc = await real.findOne({ machineId: new driver.ObjectId(machineId) });
    assert.equal(doc!.hourlyData[0].defectiveUnits, 4, "the application's save survived");
    assert.equal(doc!.hourlyData[0].unitsProduced, 40, 'and ours was applied on top');
    assert.equal(doc!.defectiveUnits, 4);
  });

  it('updates 120 existing latest values, machine statuses and keyed documents in one batch each (FerretDB on SQLite: no command of 100 matching updates)', async function () {
    this.timeout(60_000);
    const { driver } = target();
    const count = 120;
    const machines = Array.from({ length: count }, () => hex());
    const sensors = Array.from({ length: count }, () => hex());
    await db.collection('machines').insertMany(machines.map((id, i) => ({ _id: new driver.ObjectId(id), name: `M${i}`, status: 'inactive', isActive: true, createdAt: new Date(0), updatedAt: new Date(0) })));
    const latest = (value: number): SignalItem[] => sensors.map((sensorId, i) => ({ kind: 'latest', collection: 'latest_many', sensorId, machineId: machines[i], value, timestamp: T0 + value }));
    const status = (s: StatusItem['status']): StatusItem[] => machines.map((machineId) => ({ kind: 'status', collection: 'machines', machineId, status: s, timestamp: T0 }));
    const keyed = (n: number): GenericItem[] => sensors.map((code) => ({ kind: 'generic', collection: 'keyed_many', operation: 'upsert', doc: { code, n }, key: ['code'], objectIdFields: [], timestamps: false }));
    // The first round creates the documents, the second updates every one of them.
    for (const round of [1, 2]) {
      const allOk = (outcomes: unknown[]): void => assert.deepEqual(outcomes, outcomes.map(() => ({ ok: true })), `round ${round}`);
      allOk(await writer.write(asDb(), 'latest', 'latest_many', latest(round)));
      allOk(await writer.write(asDb(), 'status', 'machines', status(round === 1 ? 'stoppage' : 'running')));
      allOk(await writer.write(asDb(), 'generic', 'keyed_many', keyed(round)));
    }
    const values = (await db.collection('latest_many').find({}).toArray()).map((d) => d.value);
    assert.deepEqual(values, sensors.map(() => 2), 'one document per sensor, each with the second value');
    assert.equal(await db.collection('machines').countDocuments({ _id: { $in: machines.map((id) => new driver.ObjectId(id)) }, status: 'running' }), count);
    assert.equal(await db.collection('keyed_many').countDocuments({ n: 2 }), count);
    assert.equal(await db.collection('keyed_many').countDocuments({}), count);
  });

  it('writes generic documents (insert and upsert by key) and creates the application indexes', async () => {
    const { driver } = target();
    const machineId = hex();
    const item = (doc: Record<string, unknown>, operation: 'insert' | 'upsert'): GenericItem => ({
      kind: 'generic', collection: 'events', operation, ...(operation === 'insert' ? { id: hex() } : {}), doc, key: ['code'], objectIdFields: ['machineId'], timestamps: true,
    });
    await writer.write(asDb(), 'generic', 'events', [item({ code: 'a', machineId, n: 1 }, 'insert')]);
    await writer.write(asDb(), 'generic', 'events', [item({ code: 'b', n: 1 }, 'upsert')]);
    await writer.write(asDb(), 'generic', 'events', [item({ code: 'b', n: 2 }, 'upsert')]);
    const a = await db.collection('events').findOne({ code: 'a' });
    assert.ok(a!.machineId instanceof driver.ObjectId && a!.createdAt instanceof Date);
    const b = await db.collection('events').find({ code: 'b' }).toArray();
    assert.equal(b.length, 1);
    assert.equal(b[0].n, 2);

    await ensureIndexes(asDb(), ['signaldatas']);
    const names = (await db.collection('signaldatas').indexes()).map((i) => i.name).sort();
    assert.deepEqual(names, ['_id_', 'machineId_1_timestamp_-1', 'sensorId_1_timestamp_-1', 'timestamp_1']);
    const pin = (await db.collection('sensorpinmappings').indexes()).find((i) => i.name === 'pinId_1');
    assert.equal(pin?.unique, true);
  });
});
