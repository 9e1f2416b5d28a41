/**
 * A failed batch is retried when its backoff says, whatever the flush interval (here an hour), on
 * real servers: the link to the server is cut under a write (test/runtime/mongo/frozen-link.ts),
 * the driver fails it as a lost connection, and the sink's clock alone decides when it is retried.
 */
import assert from 'node:assert/strict';
import type { MongoClient } from 'mongodb';
import { MONGO_SINK_DEFAULTS } from '../../../lib/mongo/sink-config';
import { SinkEngine } from '../../../lib/mongo/sink-engine';
import type { BsonTypes, DbLike } from '../../../lib/mongo/store';
import { ConnectionSupervisor, type SupervisedClient } from '../../../lib/mongo/supervisor';
import { ManualClock } from '../../helpers/manual-clock';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { waitFor } from '../../helpers/wait';
import { startFrozenLink, type FrozenLink } from './frozen-link';
import { T0, readingsMessage } from './sink-harness';

const RETRY_MS = 1000;

describeEachMongoServer('mongo sink retries on its backoff, not on the flush interval', (target) => {
  const database = 'retry_test';
  let link: FrozenLink | undefined;
  let supervisor: ConnectionSupervisor<DbLike> | undefined;
  let engine: SinkEngine | undefined;

  afterEach(async () => {
    await engine?.close(0);
    await supervisor?.close();
    await link?.close();
    engine = supervisor = link = undefined;
  });

  /** The engine on a ManualClock, writing through a link that can freeze; batches of `batchSize` go at once, never at the hourly tick. */
  function start(batchSize: number, sensorCount: number): { clock: ManualClock; done: (Error | undefined)[]; machine: string; sensors: string[]; countDocs: () => Promise<number> } {
    const { server, driver } = target();
    const linkUri = `mongodb://127.0.0.1:${link!.port}/`;
    supervisor = new ConnectionSupervisor<DbLike>({
      createClient: () => new driver.MongoClient(linkUri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, heartbeatFrequencyMS: 500 }) as unknown as SupervisedClient<DbLike>,
      databaseName: database,
      redact: (t) => t,
    });
    const clock = new ManualClock();
    const done: (Error | undefined)[] = [];
    engine = new SinkEngine({
      config: { ...MONGO_SINK_DEFAULTS, signalMode: 'history', flushIntervalMs: 3_600_000, batchSize, retryInitialMs: RETRY_MS, retryMaxMs: RETRY_MS, createIndexes: false },
      getDb: () => supervisor!.getDb(0),
      bson: driver as unknown as BsonTypes,
      onReport: () => undefined,
      onStats: () => undefined,
      warn: () => undefined,
      redact: (t) => t,
      clock,
    });
    const machine = new driver.ObjectId().toHexString();
    const sensors = Array.from({ length: sensorCount }, () => new driver.ObjectId().toHexString());
    const countDocs = async (): Promise<number> => {
      const reader = new driver.MongoClient(server.uri) as unknown as MongoClient;
      try {
        return await reader.db(database).collection('signaldatas').countDocuments({ machineId: new driver.ObjectId(machine) });
      } finally {
        await reader.close();
      }
    };
    supervisor.start();
    return { clock, done, machine, sensors, countDocs };
  }

  it('writes a batch whose write lost its connection once its backoff is over, with a flush interval of an hour', async function () {
    this.timeout(180_000); // a limit, not a measure
    link = await startFrozenLink(Number(new URL(target().server.uri).port));
    // A message of two readings fills a batch of two.
    const { clock, done, machine, sensors, countDocs } = start(2, 2);
    await waitFor('connected', () => supervisor!.state.status === 'connected');
    engine!.submit(readingsMessage(machine, sensors, T0) as never, (err) => done.push(err));
    await waitFor('the first message written', () => done.length === 1);

    link.freeze();
    engine!.submit(readingsMessage(machine, sensors, T0 + 1) as never, (err) => done.push(err));
    await waitFor('the second write sent into the frozen link', () => link!.heldBytes > 0);
    link.cut(); // the write fails as a lost connection
    link.thaw();
    await waitFor('the failed write waiting to retry', () => engine!.getStats().retrying);
    await waitFor('connected again', () => supervisor!.state.status === 'connected');
    assert.equal(done.length, 1, 'not written before its backoff is over');
    assert.equal(await countDocs(), 2);

    await clock.advance(RETRY_MS);
    await waitFor('the second message written after the backoff', () => done.length === 2);
    assert.deepEqual(done, [undefined, undefined]);
    assert.equal(await countDocs(), 4, 'each reading once');
    assert.equal(engine!.getStats().retrying, false);
  });

  it('keeps two full history batches in flight; when the link fails under both, writes every reading once after the backoff', async function () {
    this.timeout(180_000); // a limit, not a measure
    link = await startFrozenLink(Number(new URL(target().server.uri).port));
    // Each message of 100 readings fills a batch.
    const { clock, done, machine, sensors, countDocs } = start(100, 100);
    await waitFor('connected', () => supervisor!.state.status === 'connected');
    // Two batches at once: the driver's pool then holds two connections, and the two batches
    // below go out on them (a new connection would wait for its handshake in the frozen link).
    for (let i = 0; i < 2; i++) engine!.submit(readingsMessage(machine, sensors, T0 + i) as never, (err) => done.push(err));
    await waitFor('the first messages written', () => done.length === 2);

    link.freeze();
    for (let i = 2; i <= 4; i++) engine!.submit(readingsMessage(machine, sensors, T0 + i) as never, (err) => done.push(err));
    await waitFor('two batches in flight, the third waiting', () => engine!.getStats().inFlight === 200);
    await waitFor('writes sent into the frozen link', () => link!.heldBytes > 0);
    link.cut(); // every write in flight fails as a lost connection
    link.thaw();
    await waitFor('the failed writes waiting to retry', () => engine!.getStats().retrying && engine!.getStats().inFlight === 0);
    await waitFor('connected again', () => supervisor!.state.status === 'connected');
    assert.equal(done.length, 2, 'nothing written before the backoff is over');

    await clock.advance(RETRY_MS);
    await waitFor('the three messages written after the backoff', () => done.length === 5);
    assert.deepEqual(done, [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(await countDocs(), 500, 'each reading once');
    assert.equal(engine!.getStats().retrying, false);
  });
});
