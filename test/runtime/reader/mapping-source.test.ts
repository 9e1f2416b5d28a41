/**
 * The reader's second signal source: the application's sensorpinmappings -> sensors ->
 * machines in a real MongoDB-compatible server (FerretDB, mongo-java-server), read through a
 * mongo-connection and refreshed while running, against the PLC simulator.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { ContractMessage } from '../../../lib/shared/messages';
import { loadPinMappings, MappingPoller, type MongoDbSource } from '../../../lib/reader/mapping-source';
import type { SignalRow } from '../../../lib/reader/signals';
import mongoConnection from '../../../nodes/mongo-connection/mongo-connection';
import plcConnection from '../../../nodes/plc-connection/plc-connection';
import plcReader from '../../../nodes/plc-reader/plc-reader';
import { PLC_READER_DEFAULTS } from '../../../nodes/plc-reader/types';
import { mongoConnectionNode, useDriverOf, withScratchDatabase } from '../../helpers/application-database';
import { DedicatedMongoServer, describeEachMongoServer, driverModule, mongoServerNames } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { plcConnectionNode, PRESS_AND_LATHE, useSimulator } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

const hex = (n: number): string => n.toString(16).padStart(24, '0');

describeEachMongoServer('plc-reader signals from the application\'s pin mappings', (target) => {
  const sim = useSimulator({ machines: PRESS_AND_LATHE });
  afterEach(async () => {
    await helper.unload();
  });

  it('reads the mapped pins with their ids, skips inactive ones, and picks up a mapping added while running', async function () {
    this.timeout(180_000);
    const { server, driver } = target();
    await withScratchDatabase(target(), 'reader_map', async (db, database) => {
      const id = (n: number): InstanceType<typeof driver.ObjectId> => new driver.ObjectId(hex(n));
      await db.collection('machines').insertMany([
        { _id: id(1), name: 'Press', departmentId: id(0xd), status: 'inactive', isActive: true },
        { _id: id(2), name: 'Lathe', departmentId: id(0xd), status: 'inactive' },
      ]);
      await db.collection('sensors').insertMany([
        { _id: id(0xa1), name: 'power', machineId: id(1), sensorType: 'power', isActive: true },
        { _id: id(0xa2), name: 'cycle', machineId: id(1), sensorType: 'unit-cycle' },
        { _id: id(0xa3), name: 'power', machineId: id(2), sensorType: 'power', isActive: false },
        { _id: id(0xa4), name: 'spare', machineId: id(2), sensorType: 'unit-cycle' },
        { _id: id(0xa5), name: 'cycle', machineId: id(2), sensorType: 'unit-cycle' },
      ]);
      await db.collection('sensorpinmappings').insertMany([
        { sensorId: id(0xa1), pinId: 'DQ.0' },
        { sensorId: id(0xa2), pinId: 'DQ.1', isActive: true },
        { sensorId: id(0xa3), pinId: 'DQ.2' }, // inactive sensor
        { sensorId: id(0xa4), pinId: 'DQ.5', isActive: false }, // inactive mapping
      ]);

      useDriverOf(server);
      await helper.load([plcConnection, plcReader, mongoConnection], [
        plcConnectionNode(sim()),
        mongoConnectionNode(server, database),
        {
          id: 'pins', type: 'plc-reader', ...PLC_READER_DEFAULTS, name: 'application pins', connection: 'plc', source: 'mongo', mongo: 'db',
          intervalMs: 100, outputMode: 'per-cycle', mappingRefreshS: 1, wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ] as Parameters<typeof helper.load>[1]);
      const messages: ContractMessage[] = [];
      const errors: string[] = [];
      (helper.getNode('out') as unknown as EventEmitter).on('input', (msg: ContractMessage) => messages.push(msg));
      (helper.getNode('pins') as unknown as EventEmitter).on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));

      const first = await waitFor('the mapped pins read', () => messages.find((m) => m.readings?.length));
      assert.deepEqual(first.readings!.map((r) => r.signal), [
        { name: 'Press power', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: hex(1), sensorId: hex(0xa1), pinId: 'DQ.0' },
        { name: 'Press cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: hex(1), sensorId: hex(0xa2), pinId: 'DQ.1' },
      ]);
      assert.equal((first.payload as Record<string, unknown>)['Press power'], true);

      // the application maps the lathe's cycle sensor to DQ.3 while the flow runs
      await db.collection('sensorpinmappings').insertOne({ sensorId: id(0xa5), pinId: 'DQ.3' });
      const added = await waitFor('the new mapping read', () => messages.find((m) => m.readings?.some((r) => r.signal.pinId === 'DQ.3')));
      const lathe = added.readings!.find((r) => r.signal.pinId === 'DQ.3')!;
      assert.deepEqual(lathe.signal, { name: 'Lathe cycle', address: 'DQ.3', dataType: 'BOOL', kind: 'unit-cycle', machineId: hex(2), sensorId: hex(0xa5), pinId: 'DQ.3' });
      assert.equal(lathe.quality, 'good');
      assert.equal(lathe.value, false, 'the lathe stands still');
      assert.deepEqual(errors, []);

      // the same join, straight from the library, against this server
      const direct = await loadPinMappings({ getDb: async () => db as never }, ['DQ.0', 'DQ.1', 'DQ.2', 'DQ.3', 'DQ.4', 'DQ.5']);
      assert.deepEqual(direct.rows.map((r) => r.address), ['DQ.0', 'DQ.1', 'DQ.3']);
      assert.deepEqual(direct.skipped, [`pin DQ.2: sensor ${hex(0xa3)} is inactive`, 'pin DQ.5: mapping is inactive']);
    });
  });
});

describe('reader mapping poller through a database outage', () => {
  for (const name of mongoServerNames().filter((n) => n !== 'external')) {
    it(`${name}: reports the outage once, not every refresh, then recovers and picks up a new mapping`, async function () {
      this.timeout(300_000); // a limit, not a measure: two server starts and four waits
      const server = new DedicatedMongoServer(name);
      const info = await server.start();
      const { MongoClient, ObjectId } = driverModule(info);
      // short server selection so a refresh fails fast while the server is down
      const client = new MongoClient(info.uri, { serverSelectionTimeoutMS: 300 });
      // the test's own writes: the driver's default selection time, so a slow restart cannot fail them
      const writer = new MongoClient(info.uri);
      const rows: SignalRow[][] = [];
      const errors: (string | undefined)[] = [];
      let refreshes = 0;
      const source: MongoDbSource = {
        getDb: async () => {
          refreshes++;
          return client.db('reader_outage') as never;
        },
      };
      const poller = new MappingPoller({
        source, knownPins: ['DQ.0', 'DQ.1'], refreshMs: 100, intervalMs: 50,
        onRows: (r) => rows.push(r), onSkipped: () => undefined, onError: (e) => errors.push(e),
      });
      try {
        const db = writer.db('reader_outage');
        const id = (n: number): InstanceType<typeof ObjectId> => new ObjectId(hex(n));
        await db.collection('machines').insertOne({ _id: id(1), name: 'Press' });
        await db.collection('sensors').insertMany([
          { _id: id(0xa1), name: 'power', machineId: id(1), sensorType: 'power' },
          { _id: id(0xa2), name: 'cycle', machineId: id(1), sensorType: 'unit-cycle' },
        ]);
        await db.collection('sensorpinmappings').insertOne({ sensorId: id(0xa1), pinId: 'DQ.0' });
        poller.start();
        await waitFor('the first rows', () => rows.length === 1);
        assert.deepEqual(rows[0], [{ name: 'Press power', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: hex(1), sensorId: hex(0xa1), intervalMs: 50 }]);
        const before = refreshes;
        await waitFor('unchanged refreshes', () => refreshes >= before + 3);
        assert.equal(rows.length, 1, 'the same mappings are not reported again');

        await server.stop();
        const down = refreshes;
        await waitFor('refreshes while down', () => refreshes >= down + 4);
        assert.equal(errors.length, 1, `one report for the whole outage: ${errors.join(' | ')}`);
        assert.match(errors[0]!, /^reading the sensor pin mappings from MongoDB: /);

        await server.start();
        await db.collection('sensorpinmappings').insertOne({ sensorId: id(0xa2), pinId: 'DQ.1' });
        await waitFor('the new mapping after the outage', () => rows.length === 2);
        assert.deepEqual(rows[1].map((r) => r.address), ['DQ.0', 'DQ.1']);
        assert.deepEqual(errors.slice(1), [undefined], 'the recovery is reported once');
      } finally {
        await poller.stop();
        await client.close();
        await writer.close();
        await server.dispose();
      }
    });
  }
});
