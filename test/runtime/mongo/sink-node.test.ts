/**
 * mongo-connection + mongo-sink in a real Node-RED runtime, against every test server with
 * the driver that reaches it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { Spool } from '../../../lib/mongo/spool';
import { SPOOL_DIR } from '../../../nodes/mongo-sink/types';
import { helper } from '../../helpers/node-red';
import { describeEachMongoServer, serverSideConnections } from '../../helpers/mongo-servers';
import { waitFor } from '../../helpers/wait';
import { NODES, T0, counter, loadSink, onErrorCall, recordLog, readingsMessage, sinkFlow, statusTexts } from './sink-harness';

describeEachMongoServer('mongo-sink in Node-RED', (target) => {
  let client: MongoClient;
  let database: string;
  let oid: () => string;

  beforeEach(async () => {
    const { server, driver } = target();
    client = new driver.MongoClient(server.uri) as unknown as MongoClient;
    database = `sink_${Date.now()}`;
    oid = () => new driver.ObjectId().toHexString();
  });
  afterEach(async () => {
    await helper.unload();
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('writes readings, a production snapshot and a machine status, then passes each message on', async () => {
    const { server, driver } = target();
    const machine = new driver.ObjectId();
    await client.db(database).collection('machines').insertOne({ _id: machine, name: 'M1', status: 'inactive' });
    await loadSink(server, sinkFlow(server.uri, database));
    const written = counter('written');
    const results = counter('results');
    const sink = helper.getNode('sink');
    const [s1, s2] = [oid(), oid()];
    sink.receive(readingsMessage(machine.toHexString(), [s1, s2], T0) as never);
    sink.receive({
      topic: 'production',
      payload: { machineId: machine.toHexString(), date: '2026-03-10', hour: 8, unitsProduced: 12, runningMinutes: 30, stoppageMinutes: 0, status: 'running', stoppages: [], final: false, revision: 1 },
    } as never);
    sink.receive({ topic: 'machine-status', payload: { machineId: machine.toHexString(), status: 'running', hasPower: true, hasCycle: true, timestamp: T0 } } as never);
    await waitFor('3 written messages', () => written.count === 3);
    const db = client.db(database);
    const signals = await db.collection('signaldatas').find({}).toArray();
    assert.equal(signals.length, 2);
    assert.ok(signals.every((d) => d.sensorId instanceof driver.ObjectId && d.timestamp instanceof Date && d.value === 1));
    const record = await db.collection('productionrecords').findOne({ machineId: machine });
    assert.equal(record!.unitsProduced, 12);
    assert.equal((await db.collection('machines').findOne({ _id: machine }))!.status, 'running');
    const kinds = results.messages.map((m) => (m.payload as { kind: string; written: number }).kind).sort();
    assert.deepEqual(kinds, ['history', 'production', 'status']);
    const indexes = (await db.collection('signaldatas').indexes()).map((i) => i.name);
    assert.ok(indexes.includes('sensorId_1_timestamp_-1'));
    await waitFor('the status to show the counts', () => statusTexts(sink).some((t) => /^connected · queued 0 · written 4$/.test(t)));
  });

  it('on stop, writes what arrived since the last flush and says nothing is kept in the spool', async () => {
    const { server } = target();
    const userDir = mkdtempSync(path.join(os.tmpdir(), 'sink-stop-'));
    try {
      // A flush interval far longer than the test: only the stop itself can write these.
      // Generous driver timeouts: on a busy machine a slow new pool connection must not turn the
      // stop's write into a retry (this test is about what the stop writes, not about outages).
      const connection = { connectTimeoutMS: 60_000, serverSelectionTimeoutMS: 60_000 };
      await loadSink(server, sinkFlow(server.uri, database, { sink: { spool: true, flushIntervalMs: 600_000 }, connection }), {}, userDir);
      const sink = helper.getNode('sink');
      await waitFor('the connection', () => statusTexts(sink).some((t) => t.startsWith('connected')));
      const machine = oid();
      for (let i = 0; i < 7; i++) sink.receive(readingsMessage(machine, [oid()], T0 + i) as never);
      const log = recordLog();
      await helper.unload();
      log.stop();
      assert.equal(await client.db(database).collection('signaldatas').countDocuments({}), 7, 'every reading written by the stop');
      assert.deepEqual(log.lines.filter((l) => l.startsWith('mongo-sink')), [], 'no backlog is claimed when nothing is left');
      const spool = new Spool(path.join(userDir, SPOOL_DIR, 'mongo-sink-sink.jsonl'), target().driver.BSON.EJSON);
      assert.deepEqual(spool.load(), [], 'the spool holds nothing to replay');
      spool.close();
    } finally {
      rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('survives 10,000 malformed messages with an error naming the field for each, and still writes', async function () {
    this.timeout(120_000);
    const { server } = target();
    await loadSink(server, sinkFlow(server.uri, database));
    const sink = helper.getNode('sink');
    const errors: string[] = [];
    onErrorCall(sink, (text) => errors.push(text));
    const written = counter('written');
    const m = oid();
    const bad: (() => Record<string, unknown>)[] = [
      () => ({ payload: { hello: 'world' } }),
      () => ({ signal: { name: 'x', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: m, sensorId: oid() }, payload: NaN, timestamp: T0 }),
      () => ({ signal: { name: 'x', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: 'machine-1', sensorId: oid() }, payload: 1, timestamp: T0 }),
      () => ({ topic: 'machine-status', payload: { machineId: m, status: 'exploded' } }),
      () => ({ topic: 'production', payload: { machineId: m, date: '10.03.2026', hour: 8, revision: 1 } }),
      () => ({ topic: 'production', payload: 'not an object' }),
      () => ({ readings: [{ signal: { name: 'y', machineId: m, sensorId: oid() }, value: { $gt: 1 }, quality: 'good', timestamp: T0 }] }),
      () => ({ readings: [{ signal: { name: 'z', machineId: m, sensorId: oid() }, value: 1, quality: 'good', timestamp: 'yesterday' }] }),
    ];
    for (let i = 0; i < 10_000; i++) sink.receive(bad[i % bad.length]() as never);
    await waitFor('10,000 errors', () => errors.length === 10_000);
    const fieldNamed = /^ValidationError: (msg|payload|readings\.\d+\.\S+|msg\.signal\.machineId|timestamp|payload\.\S+): /;
    const unnamed = errors.filter((e) => !fieldNamed.test(e));
    assert.deepEqual(unnamed.slice(0, 3), []);
    assert.ok(errors.some((e) => e.includes('payload.machineId') || e.includes('msg.signal.machineId')));
    sink.receive(readingsMessage(m, [oid()], T0) as never);
    await waitFor('the good message written', () => written.count === 1);
    assert.equal(await client.db(database).collection('signaldatas').countDocuments({}), 1);
  });

  /** The sink flow on a tab with a Catch node for the sink, as a user would wire it. */
  const caughtFlow = (uri: string): Record<string, unknown>[] => [
    { id: 'tab', type: 'tab', label: 'sink' },
    ...[...sinkFlow(uri, database), { id: 'catch', type: 'catch', scope: ['sink'], uncaught: false, wires: [['caught']] }, { id: 'caught', type: 'helper' }]
      // Nodes with a position are flow nodes; the connection stays a config node.
      .map((n) => (n.id === 'conn' ? { z: 'tab', ...n } : { z: 'tab', x: 100, y: 100, ...n })),
  ];

  it('rejects times outside the timestamp window through done(err), seen by a Catch node, and writes nothing of them', async () => {
    const { server } = target();
    await loadSink(server, caughtFlow(server.uri));
    const written = counter('written');
    const caught = counter('caught');
    const sink = helper.getNode('sink');
    const machine = oid();
    const outside = [1e20, 8.64e15 + 1, Date.UTC(1938, 5, 1), Date.UTC(2100, 0, 1)];
    for (const timestamp of outside) sink.receive(readingsMessage(machine, [oid()], timestamp) as never);
    sink.receive({ signal: { name: 'p', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: machine, sensorId: oid() }, payload: 1, timestamp: 1e20 } as never);
    sink.receive({ topic: 'machine-status', payload: { machineId: machine, status: 'running', timestamp: Date.UTC(2100, 0, 1) } } as never);
    sink.receive({
      topic: 'production',
      payload: { machineId: machine, date: '1938-06-01', hour: 8, unitsProduced: 1, runningMinutes: 1, stoppageMinutes: 0, status: 'running', stoppages: [], final: false, revision: 1 },
    } as never);
    await waitFor('7 errors at the Catch node', () => caught.count === 7);
    const texts = caught.messages.map((m) => (m.error as { message: string }).message);
    const expected = [
      /^ValidationError: readings\.0\.timestamp: expected a time \(epoch ms, Date or ISO string\), got 100000000000000000000$/,
      /^ValidationError: readings\.0\.timestamp: expected a time \(epoch ms, Date or ISO string\), got 8640000000000001$/,
      /^ValidationError: readings\.0\.timestamp: 1938-06-01T00:00:00\.000Z lies before 2000-01-01T00:00:00\.000Z, the earliest accepted time$/,
      /^ValidationError: readings\.0\.timestamp: 2100-01-01T00:00:00\.000Z lies more than 24 h ahead of the clock/,
      /^ValidationError: timestamp: expected a time \(epoch ms, Date or ISO string\), got 100000000000000000000$/,
      /^ValidationError: payload\.timestamp: 2100-01-01T00:00:00\.000Z lies more than 24 h ahead of the clock/,
      /^ValidationError: payload\.date: 1938-06-01T00:00:00\.000Z lies before 2000-01-01T00:00:00\.000Z, the earliest accepted time$/,
    ];
    texts.forEach((text, i) => assert.match(text, expected[i]));
    sink.receive(readingsMessage(machine, [oid()], T0) as never);
    await waitFor('the good message written', () => written.count === 1);
    const db = client.db(database);
    assert.deepEqual((await db.collection('signaldatas').find({}).toArray()).map((d) => d.timestamp.getTime()), [T0]);
    assert.equal(await db.collection('productionrecords').countDocuments({}), 0);
    assert.equal(await db.collection('machines').countDocuments({}), 0);
  });

  it('takes its timestamp window from the Node-RED setting s7productionTimestampWindow', async () => {
    const { server } = target();
    helper.settings({ s7productionMongoDriver: server.driver, s7productionTimestampWindow: { earliest: '2026-03-10T00:00:00Z' } } as never);
    await helper.load(NODES as never, caughtFlow(server.uri) as never);
    const written = counter('written');
    const caught = counter('caught');
    const sink = helper.getNode('sink');
    const machine = oid();
    sink.receive(readingsMessage(machine, [oid()], T0 - 24 * 3_600_000) as never);
    sink.receive(readingsMessage(machine, [oid()], T0) as never);
    await waitFor('one error and one written message', () => caught.count === 1 && written.count === 1);
    assert.equal((caught.messages[0].error as { message: string }).message,
      'ValidationError: readings.0.timestamp: 2026-03-09T08:00:00.000Z lies before 2026-03-10T00:00:00.000Z, the earliest accepted time');
    assert.equal(await client.db(database).collection('signaldatas').countDocuments({}), 1);
  });

  it('replaying the same messages changes nothing', async () => {
    const { server, driver } = target();
    await loadSink(server, sinkFlow(server.uri, database, { sink: { signalMode: 'latest' } }));
    const written = counter('written');
    const sink = helper.getNode('sink');
    const machine = oid();
    const sensors = [oid(), oid(), oid()];
    const snapshot = { topic: 'production', payload: { machineId: machine, date: '2026-03-10', hour: 8, unitsProduced: 5, runningMinutes: 10, stoppageMinutes: 2, status: 'running', stoppages: [{ startTime: T0, endTime: T0 + 120_000, duration: 2, isPending: false }], final: false, revision: 3 } };
    const batch = [readingsMessage(machine, sensors, T0), snapshot];
    for (const msg of batch) sink.receive(structuredClone(msg) as never);
    await waitFor('first pass', () => written.count === 2);
    const db = client.db(database);
    const dump = async () => ({ s: await db.collection('signaldatas').find({}).sort({ _id: 1 }).toArray(), p: await db.collection('productionrecords').find({}).toArray() });
    const first = await dump();
    for (const msg of batch) sink.receive(structuredClone(msg) as never);
    await waitFor('second pass', () => written.count === 4);
    const second = await dump();
    assert.equal(first.s.length, 3);
    assert.deepEqual(second.p, first.p, 'production record unchanged (same revision)');
    assert.deepEqual(second.s.map((d) => [d._id.toHexString(), d.value, d.timestamp.getTime()]), first.s.map((d) => [d._id.toHexString(), d.value, d.timestamp.getTime()]));
    assert.ok(second.p[0].machineId instanceof driver.ObjectId);
  });

  it('latest values of 100 sensors: a command of 20 upserts per batch, each started once the previous is done (no flush tick), newest values only, and FerretDB is not blocked by matched updates', async () => {
    const { server, driver } = target();
    // No flush tick within the test: every write here goes because a command's worth waits.
    await loadSink(server, sinkFlow(server.uri, database, { sink: { signalMode: 'latest', flushIntervalMs: 3_600_000 } }));
    const written = counter('written');
    const results = counter('results');
    const sink = helper.getNode('sink');
    const machine = oid();
    const sensors = Array.from({ length: 100 }, oid);
    const send = (value: number): void => sink.receive(readingsMessage(machine, sensors, T0 + value, value) as never);
    const documents = async (): Promise<Map<string, number[]>> => {
      const byString = new Map<string, number[]>();
      for (const d of await client.db(database).collection('signaldatas').find({}).toArray()) {
        byString.set(String(d.sensorId), [...(byString.get(String(d.sensorId)) ?? []), d.value as number]);
      }
      return byString;
    };
    const batchSizes = (): number[] => results.messages.map((m) => (m.payload as { kind: string; written: number }).written);
    // Connected first: a retry (no connection yet) would wait for the flush tick.
    await waitFor('connected', () => statusTexts(sink).some((t) => t.startsWith('connected')));

    send(1); // 100 new documents
    await waitFor('the first message written', () => written.count === 1);
    assert.deepEqual(batchSizes(), [20, 20, 20, 20, 20], 'one command per batch');

    // Ten messages before any write: they coalesce into one value per sensor, the newest; every
    // update matches a document (the case that blocked FerretDB in commands of 100).
    for (let value = 2; value <= 11; value++) send(value);
    await waitFor('the ten messages written', () => written.count === 11);
    assert.equal(results.count, 10, 'five more commands of 20');

    // A newer value while older ones are in flight: each sensor ends with the newest.
    send(12);
    await waitFor('a batch of value 12 answered', () => results.count > 10);
    send(13);
    await waitFor('both messages written', () => written.count === 13);
    const docs = await documents();
    assert.equal(docs.size, 100, 'one document per sensor');
    assert.ok([...docs.values()].every((values) => values.length === 1 && values[0] === 13), 'every sensor holds the newest value, once');
    assert.ok(sensors.every((s) => docs.has(new driver.ObjectId(s).toString())));
  });

  it('leaves no connection open after redeploys (counted on the server)', async function () {
    this.timeout(60_000);
    const { server } = target();
    const baseline = await serverSideConnections(server);
    for (let round = 0; round < 3; round++) {
      await loadSink(server, sinkFlow(server.uri, database));
      const written = counter('written');
      helper.getNode('sink').receive(readingsMessage(oid(), [oid()], T0 + round) as never);
      await waitFor('written', () => written.count === 1);
      assert.ok((await serverSideConnections(server)) > baseline, 'the sink holds connections while deployed');
      await helper.unload();
    }
    await waitFor('connections back to the baseline', async () => (await serverSideConnections(server)) <= baseline);
  });
});

describe('mongo-sink overflow', () => {
  afterEach(() => helper.unload());

  it('drops the oldest readings while the database is away, counts them in the status and reports them', async () => {
    helper.settings({});
    // Nothing listens on port 9: the queue fills up.
    await helper.load(NODES as never, sinkFlow('mongodb://127.0.0.1:9/', 'overflow', { sink: { maxEntries: 10, batchSize: 5 } }) as never);
    const results = counter('results');
    const written = counter('written');
    const sink = helper.getNode('sink');
    for (let i = 0; i < 30; i++) sink.receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0 + i) as never);
    await waitFor('a drop report', () => results.messages.some((m) => (m.payload as { kind: string }).kind === 'dropped'));
    const drops = results.messages.map((m) => m.payload as { kind: string; count: number }).filter((p) => p.kind === 'dropped');
    assert.equal(drops.reduce((n, p) => n + p.count, 0), 20);
    await waitFor('the status to show the drops', () => statusTexts(sink).some((t) => /queued 10 · written 0 · dropped 20 · retrying$/.test(t)));
    assert.equal(written.count, 0, 'dropped messages are not passed on as written');
    assert.match(JSON.stringify(helper.log().args), /queue full: 20 reading\(s\) dropped \(drop-oldest\)/);
  });
});

describe('mongo-sink spool on a full disk (a 64 KiB tmpfs as the user directory; needs root)', function () {
  this.timeout(60_000);
  let userDir: string;

  before(function () {
    userDir = mkdtempSync(path.join(os.tmpdir(), 'sink-tmpfs-'));
    try {
      if (process.getuid?.() !== 0) throw new Error('not root');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', userDir], { stdio: 'ignore' });
    } catch {
      rmSync(userDir, { recursive: true, force: true });
      this.skip();
    }
  });
  after(() => {
    if (!existsSync(userDir)) return;
    execFileSync('umount', ['-l', userDir], { stdio: 'ignore' }); // lazy: a descriptor still open must not keep it mounted
    rmSync(userDir, { recursive: true, force: true });
  });

  it('keeps running and keeps the entries in memory, says so in the status and the log, and names the loss at the stop', async () => {
    // Nothing listens on port 9: everything stays queued, and the spool outgrows the disk.
    await loadSink({ name: 'none', uri: 'mongodb://127.0.0.1:9/', driver: 'mongodb' }, sinkFlow('mongodb://127.0.0.1:9/', 'spool_full', { sink: { spool: true } }), {}, userDir);
    const sink = helper.getNode('sink');
    const errors: string[] = [];
    onErrorCall(sink, (text) => errors.push(text));
    const machine = 'a'.repeat(24);
    const sensors = Array.from({ length: 5 }, (_, i) => `${'c'.repeat(23)}${i}`);
    for (let i = 0; i < 200; i++) sink.receive(readingsMessage(machine, sensors, T0 + i) as never); // ~250 KiB of spool lines
    await waitFor('the status to say the spool fails', () => statusTexts(sink).some((t) => t.includes('spool failing (see log)')));
    assert.match(JSON.stringify(helper.log().args), /ENOSPC[^"]*the entries stay in memory, writing the spool is retried/);
    await waitFor('all 1000 readings held', () => statusTexts(sink).some((t) => /queued 1000 · written 0 · retrying · spool failing/.test(t)));
    sink.receive({ payload: { not: 'writable' } } as never);
    await waitFor('the node still answering its input', () => errors.length === 1);
    const log = recordLog();
    await helper.unload();
    log.stop();
    assert.ok(log.lines.some((l) => /^mongo-sink: 1000 entries were not written and the disk spool cannot hold them \(.*ENOSPC/.test(l)), log.lines.join(' | '));
  });
});

describe('mongo-connection credentials', () => {
  afterEach(() => helper.unload());

  it('keeps credentials out of the flow export, the logs and the errors', async function () {
    this.timeout(30_000);
    const secret = 'S3cret-Pw!';
    // Nothing listens on port 9 of 127.0.0.1: connecting fails and is logged.
    const flow = sinkFlow('mongodb://ann@127.0.0.1:9/', 'creds_test');
    helper.settings({});
    await helper.load(NODES as never, flow as never, { conn: { username: 'ann', password: secret } });
    const sink = helper.getNode('sink');
    const errors: string[] = [];
    onErrorCall(sink, (text) => errors.push(text));
    sink.receive({ payload: { not: 'writable' } } as never);
    sink.receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0) as never);
    await waitFor('the failed connect logged', () => /MongoDB disconnected/.test(JSON.stringify(helper.log().args)));
    await waitFor('the malformed message refused', () => errors.length === 1);
    const logged = JSON.stringify(helper.log().args);
    assert.doesNotMatch(logged, new RegExp(secret));
    assert.doesNotMatch(errors.join(), new RegExp(secret));
    const exported = JSON.stringify((helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes.getFlows());
    assert.doesNotMatch(exported, new RegExp(secret), 'credentials are not in the exported flow');
    const status = JSON.stringify((sink as unknown as { status: { args: unknown[] } }).status.args);
    assert.doesNotMatch(status, new RegExp(secret));
  });
});
