/**
 * hourly-aggregator -> mongo-sink in a real Node-RED runtime with the memory context store (a
 * stock Node-RED's default), redeployed mid-hour: the stored count never goes down, and the
 * units after the deploy add to those before it, with and without reading the hours back from
 * the database. Against every test server.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import hourlyAggregator from '../../../nodes/hourly-aggregator/hourly-aggregator';
import mongoConnection from '../../../nodes/mongo-connection/mongo-connection';
import mongoSink from '../../../nodes/mongo-sink/mongo-sink';
import { mongoConnectionNode, useDriverOf, useScratchDatabase } from '../../helpers/application-database';
import { describeEachMongoServer, type MongoServerInfo } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';

const M1 = '65a1b2c3d4e5f60718293a4b';

async function deploy(server: MongoServerInfo, database: string, aggregator: Record<string, unknown>): Promise<void> {
  useDriverOf(server);
  await helper.load([mongoConnection, hourlyAggregator, mongoSink] as Parameters<typeof helper.load>[0], [
    { id: 'tab', type: 'tab' },
    mongoConnectionNode(server, database),
    {
      id: 'agg', type: 'hourly-aggregator', z: 'tab', timeZone: 'Europe/Berlin', snapshotMinutes: 0.005, tickSeconds: 0.2, mongo: 'db',
      wires: [['sink'], []], ...aggregator,
    },
    { id: 'sink', type: 'mongo-sink', z: 'tab', connection: 'db', flushIntervalMs: 50, wires: [[], []] },
  ] as unknown as Parameters<typeof helper.load>[1]);
}

function unit(timestamp: number): NodeMessage {
  return { topic: 'units', units: { key: M1, machineId: M1, delta: 1, total: 1, timestamp, source: 'counter' } } as NodeMessage;
}

describeEachMongoServer('a deploy with the memory context store', (target) => {
  afterEach(async () => {
    await helper.unload();
  });
  const scratch = useScratchDatabase(target, 'deploy_counts');

  /** Units stored for the machine, over every hour and document (the test may cross an hour). */
  async function storedUnits(): Promise<number> {
    const { driver } = target();
    const docs = await scratch().db.collection('productionrecords').find({ machineId: new driver.ObjectId(M1) }).toArray();
    return docs.reduce((sum, d) => sum + (d.unitsProduced as number), 0);
  }

  for (const [title, settings] of [
    ['reading the hours back (the default)', {}],
    ['without reading them back: the merge alone', { restoreFromDb: false }],
  ] as const) {
    it(`never lowers the stored count, and adds the units after it: ${title}`, async function () {
      this.timeout(120_000);
      const { server } = target();
      await deploy(server, scratch().name, settings);
      for (let i = 0; i < 5; i++) helper.getNode('agg').receive(unit(Date.now() - 2000));
      await waitFor('5 units stored', async () => (await storedUnits()) === 5);

      // A full deploy: every node stops, the aggregator's memory state is gone.
      await helper.unload();
      const seen: number[] = [];
      await deploy(server, scratch().name, settings);
      const watch = setInterval(() => void storedUnits().then((n) => seen.push(n)), 100);
      try {
        for (let i = 0; i < 2; i++) helper.getNode('agg').receive(unit(Date.now() - 2000));
        await waitFor('7 units stored', async () => (await storedUnits()) === 7);
      } finally {
        clearInterval(watch);
      }
      assert.ok(seen.every((n) => n >= 5), `never below 5: ${seen.join(' ')}`);
    });
  }
});
