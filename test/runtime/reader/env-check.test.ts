/**
 * The dialogs' ${ENV} checks in a real Node-RED runtime: the check-env endpoints judge the
 * variables' values and never return them, and "test connection / read now" resolves the
 * references as a deploy does and reads the simulated PLC.
 */
import assert from 'node:assert/strict';
import hourlyAggregator from '../../../nodes/hourly-aggregator/hourly-aggregator';
import plcConnection from '../../../nodes/plc-connection/plc-connection';
import plcReader from '../../../nodes/plc-reader/plc-reader';
import { helper } from '../../helpers/node-red';
import { startSimulator, type SimulatorHandle } from '../../helpers/simulator';

const VARS = { S7P_TEST_HOST: '127.0.0.1', S7P_TEST_SLOT: '40', S7P_TEST_TZ: 'Europe/Berlin', S7P_TEST_BAD_TZ: 'hunter2/secret' };

describe('${ENV} values in the dialogs, resolved by the runtime', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;

  before(async () => {
    sim = await startSimulator({ pduSize: 240, machines: [{ name: 'm1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150, powerKw: 12.5 }] });
    Object.assign(process.env, VARS, { S7P_TEST_PORT: String(sim.port) });
    delete process.env.S7P_TEST_UNSET;
    await helper.load([plcConnection, plcReader, hourlyAggregator], []);
  });
  after(async () => {
    await helper.unload();
    for (const name of [...Object.keys(VARS), 'S7P_TEST_PORT']) delete process.env[name];
    await sim?.close();
  });

  it('plc-connection: set and valid, set and out of range, unset; no value in the answer', async () => {
    const res = await helper.request().post('/plc-connection/check-env').send({
      fields: { host: '${S7P_TEST_HOST}', port: '${S7P_TEST_PORT}', slot: '${S7P_TEST_SLOT}', rack: '${S7P_TEST_UNSET}', name: '${S7P_TEST_HOST}' },
    }).expect(200);
    assert.deepEqual(res.body, {
      fields: {
        host: { variable: 'S7P_TEST_HOST', set: true },
        port: { variable: 'S7P_TEST_PORT', set: true },
        slot: { variable: 'S7P_TEST_SLOT', set: true, problem: { key: 'range', params: { min: 0, max: 31 } } },
        rack: { variable: 'S7P_TEST_UNSET', set: false },
      },
    });
  });

  it('hourly-aggregator: ${PLANT_TZ}-style zones are judged by the runtime, without their value', async () => {
    const res = await helper.request().post('/hourly-aggregator/check-env').send({ fields: { timeZone: '${S7P_TEST_TZ}' } }).expect(200);
    assert.deepEqual(res.body.fields.timeZone, { variable: 'S7P_TEST_TZ', set: true });
    const bad = await helper.request().post('/hourly-aggregator/check-env').send({ fields: { timeZone: '${S7P_TEST_BAD_TZ}' } }).expect(200);
    assert.deepEqual(bad.body.fields.timeZone, { variable: 'S7P_TEST_BAD_TZ', set: true, problem: { key: 'timeZone' } });
    assert.ok(!JSON.stringify(bad.body).includes('hunter2'));
  });

  it('plc-reader: checks its own fields', async () => {
    const res = await helper.request().post('/plc-reader/check-env').send({ fields: { intervalMs: '${S7P_TEST_SLOT}', pinMap: '${S7P_TEST_UNSET}' } }).expect(200);
    assert.deepEqual(res.body.fields, { intervalMs: { variable: 'S7P_TEST_SLOT', set: true }, pinMap: { variable: 'S7P_TEST_UNSET', set: false } });
  });

  it('"test connection / read now" reads with ${PLC_HOST}-style settings', async () => {
    const res = await helper.request().post('/plc-reader/test-read').send({
      connection: { host: '${S7P_TEST_HOST}', port: '${S7P_TEST_PORT}', rack: 0, slot: 1 },
      signals: [{ name: 'power', address: 'DB1.DBD0', dataType: 'REAL' }],
    }).expect(200);
    assert.equal(res.body.connected, true, JSON.stringify(res.body));
    assert.deepEqual(res.body.items[0], { name: 'power', address: 'DB1.DBD0', dataType: 'REAL', quality: 'good', value: 12.5 });
  });

  it('"test connection / read now" names a variable that is not set', async () => {
    const res = await helper.request().post('/plc-reader/test-read').send({
      connection: { host: '${S7P_TEST_UNSET}', port: '${S7P_TEST_PORT}' },
      signals: [],
    }).expect(400);
    assert.match(res.body.error, /host is empty.*not set in the Node-RED runtime's environment: S7P_TEST_UNSET/);
  });
});
