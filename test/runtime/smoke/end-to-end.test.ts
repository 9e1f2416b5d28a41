/**
 * The harness end to end, on each test database server: the PLC simulator (child process, real
 * S7 over loopback) -> plc-reader -> edge-counter, and plc-reader -> mongo-sink -> the database
 * (official driver over the wire), in a real Node-RED runtime.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { helper } from '../../helpers/node-red';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { waitFor } from '../../helpers/wait';
import { MACHINE_DB_LAYOUT, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { CONNECTION_DEFAULTS } from '../../../nodes/plc-connection/types';
import { PLC_READER_DEFAULTS } from '../../../nodes/plc-reader/types';
import { EDGE_COUNTER_CONFIG_DEFAULTS } from '../../../nodes/edge-counter/types';
import { MONGO_CONNECTION_DEFAULTS, DRIVER_SETTING } from '../../../nodes/mongo-connection/types';
import { MONGO_SINK_DEFAULTS } from '../../../nodes/mongo-sink/types';
import type { UnitEvent } from '../../../lib/shared/messages';

/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED node modules, loaded as the runtime loads them */
const nodeModules = [
  require('../../../nodes/plc-connection/plc-connection'),
  require('../../../nodes/plc-reader/plc-reader'),
  require('../../../nodes/edge-counter/edge-counter'),
  require('../../../nodes/mongo-connection/mongo-connection'),
  require('../../../nodes/mongo-sink/mongo-sink'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

const MACHINE_ID = '65a000000000000000000001';
const POWER_SENSOR_ID = '65a000000000000000000011';
const CYCLE_SENSOR_ID = '65a000000000000000000012';
const POWER_KW = 12.5;

describeEachMongoServer('smoke: simulator -> Node-RED -> database', (target) => {
  let sim: SimulatorHandle;

  before(async function () {
    sim = await startSimulator({
      machines: [{ name: 'm1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150, powerKw: POWER_KW }],
    });
  });

  after(async function () {
    await sim?.close();
  });

  afterEach(async function () {
    await helper.unload();
  });

  it('reads over S7, counts every unit cycle and writes the readings', async function () {
    const { server, driver } = target();
    const database = `smoke_${Date.now()}`;
    // the driver that reaches this server (mongo-java-server speaks wire version 8 only)
    helper.settings({ [DRIVER_SETTING]: server.driver } as Parameters<typeof helper.settings>[0]);
    const flow = [
      { id: 'tab', type: 'tab', label: 'smoke' },
      { id: 'plc', type: 'plc-connection', ...CONNECTION_DEFAULTS, name: 'simulator', host: sim.host, port: sim.port },
      {
        id: 'reader', z: 'tab', type: 'plc-reader', ...PLC_READER_DEFAULTS, name: 'PLC signals', connection: 'plc', mongo: '',
        intervalMs: 50,
        signals: [
          { name: 'power', address: `DB1.DBD${MACHINE_DB_LAYOUT.powerKw.offset}`, dataType: 'REAL', kind: 'power', machineId: MACHINE_ID, sensorId: POWER_SENSOR_ID },
          { name: 'cycle', address: 'Q0.1', kind: 'unit-cycle', machineId: MACHINE_ID, sensorId: CYCLE_SENSOR_ID },
        ],
        wires: [['counter', 'sink']],
      },
      { id: 'counter', z: 'tab', type: 'edge-counter', ...EDGE_COUNTER_CONFIG_DEFAULTS, name: 'units', wires: [['units']] },
      { id: 'units', z: 'tab', type: 'helper' },
      { id: 'db', type: 'mongo-connection', ...MONGO_CONNECTION_DEFAULTS, mode: 'uri', uri: server.uri, database },
      { id: 'sink', z: 'tab', type: 'mongo-sink', ...MONGO_SINK_DEFAULTS, name: 'database', connection: 'db', flushIntervalMs: 100, wires: [] },
    ];
    const units: UnitEvent[] = [];
    const errors: string[] = [];
    await helper.load(nodeModules, flow as Parameters<typeof helper.load>[1]);
    for (const id of ['reader', 'counter', 'sink']) {
      (helper.getNode(id) as unknown as EventEmitter).on('call:error', (call: { args: unknown[] }) => errors.push(`${id}: ${String(call.args[0])}`));
    }
    (helper.getNode('units') as unknown as EventEmitter).on('input', (msg: { units?: UnitEvent }) => {
      if (msg.units) units.push(msg.units);
    });

    const startPulses = (await sim.truth('m1')).pulses;
    await waitFor('five unit cycles', async () => (await sim.truth('m1')).pulses >= startPulses + 5);
    // Stop the machine so that no cycle is in flight, then let the reader see the last edge.
    await sim.setScenario('m1', { scenario: 'stopped-powered' });
    const produced = (await sim.truth('m1')).pulses - startPulses;
    const counted = (): number => units.reduce((sum, u) => sum + u.delta, 0);
    // The first edge may have happened before the reader's first sample; every later one counts.
    await waitFor(`the counter counts the ${produced} unit(s) produced while the flow ran (the first one perhaps not)`, () => counted() >= produced - 1);
    assert.ok(counted() <= produced + 1, `counted ${counted()} unit(s), the simulator produced ${produced} while the flow ran`);
    for (const event of units) assert.equal(event.machineId, MACHINE_ID);

    const client = new driver.MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    try {
      const collection = client.db(database).collection(MONGO_SINK_DEFAULTS.historyCollection);
      const power = await waitFor('power readings in the database', async () => {
        const docs = await collection.find({ sensorId: new driver.ObjectId(POWER_SENSOR_ID) }).toArray();
        return docs.length >= 3 ? docs : undefined;
      });
      for (const doc of power) {
        assert.ok(doc.machineId instanceof driver.ObjectId && doc.machineId.toHexString() === MACHINE_ID, 'machineId is the ObjectId');
        assert.ok(doc.timestamp instanceof Date, 'timestamp is a Date');
        assert.ok(doc.value === POWER_KW || doc.value === POWER_KW * 0.2, `power ${doc.value} kW`);
      }
      const cycles = await collection.countDocuments({ sensorId: new driver.ObjectId(CYCLE_SENSOR_ID), value: { $in: [0, 1, true, false] } });
      assert.ok(cycles > 0, 'cycle-bit readings in the database');
    } finally {
      await client.db(database).dropDatabase().catch(() => undefined);
      await client.close();
    }
    assert.deepEqual(errors, []);
  });
});
