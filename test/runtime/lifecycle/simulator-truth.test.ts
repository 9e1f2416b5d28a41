/**
 * The simulator's ground truth for the torture test, read back over real S7: each pulse's edges,
 * the instants of read requests, and a counter reset (sim/simulator.ts).
 */
import assert from 'node:assert/strict';
import { snap7, type Snap7Client } from '../../../lib/s7/snap7';
import { MACHINE_DB_LAYOUT, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

function connect(port: number): Promise<Snap7Client> {
  const client = new (snap7().S7Client)();
  client.SetParam(client.RemotePort, port);
  return new Promise((resolve, reject) => {
    client.ConnectTo('127.0.0.1', 0, 1, (err) => (err ? reject(new Error(client.ErrorText(err as number))) : resolve(client)));
  });
}

function readCounter(client: Snap7Client): Promise<number> {
  return new Promise((resolve, reject) => {
    client.ReadArea(client.S7AreaDB, 1, 0, 8, client.S7WLByte, (err, data) => (err ? reject(new Error(client.ErrorText(err as number))) : resolve(data.readInt32BE(MACHINE_DB_LAYOUT.unitCounter.offset))));
  });
}

describe('simulator ground truth: pulse log, read requests, counter reset', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  let client: Snap7Client | undefined;

  before(async () => {
    sim = await startSimulator({ machines: [{ name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 200, pulseWidthMs: 80 }] });
  });
  after(async () => {
    client?.Disconnect();
    await sim?.close();
  });

  it('logs every pulse with its rising and falling edge, as many as the truth counts', async () => {
    await waitFor('three pulses', async () => (await sim.truth('press')).pulses >= 3);
    await sim.setScenario('press', { scenario: 'off' });
    const log = await waitFor('the last pulse ended', async () => {
      const pulses = await sim.pulseLog('press');
      return pulses.every((p) => p.fall !== undefined) ? pulses : undefined;
    });
    assert.equal(log.length, (await sim.truth('press')).pulses);
    for (const p of log) assert.ok(p.fall! >= p.rise, `fall ${p.fall} before rise ${p.rise}`);
    for (let i = 1; i < log.length; i++) assert.ok(log[i].rise >= log[i - 1].fall!, 'pulses do not overlap');
    assert.deepEqual(await sim.pulseLog('press', log[1].rise), log.slice(1), 'since filters by rising edge');
  });

  it('records read requests (not connection set-up) at the instant they reach the PLC', async () => {
    const before = Date.now();
    client = await connect(sim.port);
    assert.deepEqual(await sim.readRequestTimes(before), [], 'connecting is not reading');
    await readCounter(client);
    await readCounter(client);
    const times = await sim.readRequestTimes(before);
    assert.equal(times.length, 2);
    assert.ok(times[0] >= before && times[1] <= Date.now());
  });

  it('resets the counter the clients read, while the truth keeps its pulses', async () => {
    const pulses = (await sim.truth('press')).pulses;
    assert.ok(await readCounter(client!) > 0);
    await sim.resetCounter('press', 0);
    assert.equal(await readCounter(client!), 0);
    assert.deepEqual([(await sim.truth('press')).counter, (await sim.truth('press')).pulses], [0, pulses]);
    await assert.rejects(sim.resetCounter('nope'), /no machine "nope"/);
  });
});
