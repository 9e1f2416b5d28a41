/**
 * The PLC simulator, driven in a child process and read back over real S7 with node-snap7's
 * client: pulses seen on the wire match the simulator's ground truth.
 */
import assert from 'node:assert/strict';
import { snap7, type MultiVarRequest, type Snap7Client } from '../../../lib/s7/snap7';
import { MACHINE_DB_LAYOUT, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { sleep, waitFor } from '../../helpers/wait';

function connect(port: number): Promise<Snap7Client> {
  const client = new (snap7().S7Client)();
  client.SetParam(client.RemotePort, port);
  return new Promise((resolve, reject) => {
    client.ConnectTo('127.0.0.1', 0, 1, (err) => (err ? reject(new Error(client.ErrorText(err as number))) : resolve(client)));
  });
}

function read(client: Snap7Client, area: 'Q' | 'DB', db: number, start: number, size: number): Promise<Buffer> {
  const a = area === 'Q' ? client.S7AreaPA : client.S7AreaDB;
  return new Promise((resolve, reject) => {
    client.ReadArea(a, db, start, size, client.S7WLByte, (err, data) => (err ? reject(new Error(client.ErrorText(err as number))) : resolve(data)));
  });
}

function readMulti(client: Snap7Client, vars: MultiVarRequest[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    client.ReadMultiVars(vars, (err, results) => {
      if (err || results.some((r) => r.Result !== 0 || !r.Data)) reject(new Error(`ReadMultiVars failed: ${String(err)}`));
      else resolve(results.map((r) => r.Data as Buffer));
    });
  });
}

describe('s7 simulator over real S7', function () {
  this.timeout(120_000); // a limit, not a measure: a busy machine is slow
  let sim: SimulatorHandle;
  let client: Snap7Client | undefined;

  before(async () => {
    sim = await startSimulator({
      pduSize: 240,
      machines: [
        { name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'stopped-powered', powerKw: 20 },
        { name: 'lathe', db: 2, powerPin: 2, cyclePin: 3, scenario: 'off' },
      ],
    });
  });
  after(async () => {
    client?.Disconnect();
    await sim?.close();
  });

  it('negotiates the configured PDU and shows power on Q0 and in the DB', async () => {
    client = await connect(sim.port);
    assert.equal(client.PDULength(), 240);
    const q0 = (await read(client, 'Q', 0, 0, 1))[0];
    assert.equal(q0 & 0b1111, 0b0001, 'press powered, not cycling; lathe off');
    const db1 = await read(client, 'DB', 1, 0, 8);
    assert.equal(db1.readFloatBE(MACHINE_DB_LAYOUT.powerKw.offset), 4, 'idle power is 20 % of 20 kW');
    const db2 = await read(client, 'DB', 2, 0, 8);
    assert.equal(db2.readFloatBE(MACHINE_DB_LAYOUT.powerKw.offset), 0);
  });

  it('produces the configured cycles: edges on Q0 and the DINT counter match the ground truth', async () => {
    const c = client as Snap7Client;
    const before = await sim.truth('press');
    const counterAt = MACHINE_DB_LAYOUT.unitCounter.offset;
    const counterBefore = (await read(c, 'DB', 1, 0, 8)).readInt32BE(counterAt);
    assert.equal(counterBefore, before.counter);
    // Pulses of 500 ms, polled every 10 ms: only a stall of the test process longer than a pulse could hide one.
    const CYCLE_MS = 1000;
    await sim.setScenario('press', { scenario: 'running', cycleTimeMs: CYCLE_MS, pulseWidthMs: 500 });
    const started = Date.now();
    let edges = 0;
    let last: boolean | undefined;
    let firstCounter: number | undefined;
    let lastCounter = 0;
    await waitFor('five units on the press', async () => {
      // Q0 and the counter in one request, so each poll sees one consistent moment.
      const [q, db] = await readMulti(c, [
        { Area: c.S7AreaPA, WordLen: c.S7WLByte, Start: 0, Amount: 1 },
        { Area: c.S7AreaDB, WordLen: c.S7WLByte, DBNumber: 1, Start: counterAt, Amount: 4 },
      ]);
      const on = (q[0] & 0b10) !== 0;
      if (on && last === false) edges++; // the first poll is the baseline
      last = on;
      lastCounter = db.readInt32BE(0);
      firstCounter ??= lastCounter;
      return lastCounter - firstCounter >= 5;
    });
    await sim.setScenario('press', { scenario: 'stopped-powered' });
    const stoppedAt = Date.now();
    // A pulse under way finishes its width.
    await waitFor('the cycle bit low after the stop', async () => ((await read(c, 'Q', 0, 0, 1))[0] & 0b10) === 0);
    const after = await sim.truth('press');
    const produced = after.pulses - before.pulses;
    assert.ok(produced <= Math.ceil((stoppedAt - started) / CYCLE_MS) + 1, `no faster than one unit per ${CYCLE_MS} ms: ${produced} in ${stoppedAt - started} ms`);
    assert.equal(edges, lastCounter - (firstCounter as number), 'every unit cycle is visible on Q0 while the counter counts it');
    const counterAfter = (await read(c, 'DB', 1, 0, 8)).readInt32BE(counterAt);
    assert.equal(counterAfter - counterBefore, produced, 'the counter over S7 matches the ground truth');
    assert.equal(counterAfter, after.counter);
    const q0 = (await read(c, 'Q', 0, 0, 1))[0];
    assert.equal(q0 & 0b11, 0b01, 'stopped: powered, cycle bit low');
  });

  it('produces without power in producing-unpowered', async () => {
    const c = client as Snap7Client;
    const before = await sim.truth('lathe');
    await sim.setScenario('lathe', { scenario: 'producing-unpowered', cycleTimeMs: 200, pulseWidthMs: 50 });
    await waitFor('three units on the lathe', async () => (await sim.truth('lathe')).pulses - before.pulses >= 3);
    await sim.setScenario('lathe', { scenario: 'off' });
    // A pulse under way finishes its 50 ms; then neither bit is set.
    await waitFor('lathe off: no power bit, no cycle bit', async () => ((await read(c, 'Q', 0, 0, 1))[0] & 0b1100) === 0);
    const after = await sim.truth('lathe');
    const db2 = await read(c, 'DB', 2, 0, 8);
    assert.equal(db2.readInt32BE(MACHINE_DB_LAYOUT.unitCounter.offset), after.counter);
  });

  it('a scenario change lets a pulse under way finish its width, as a PLC pulse timer does', async () => {
    const c = client as Snap7Client;
    const cycleBit = async (): Promise<boolean> => ((await read(c, 'Q', 0, 0, 1))[0] & 0b10) !== 0;
    const WIDTH_MS = 2000;
    await sim.setScenario('press', { scenario: 'running', cycleTimeMs: 3000, pulseWidthMs: WIDTH_MS });
    // A pulse seen within 500 ms of its start (on a busy machine a later one may be the first).
    let seenAt = 0;
    let known = (await sim.truth('press')).pulses;
    const pulse = await waitFor('a pulse seen early', async () => {
      const t = await sim.truth('press');
      seenAt = Date.now();
      const fresh = t.pulses !== known && seenAt - t.lastPulseAt! < 500;
      known = t.pulses;
      return fresh && t;
    });
    await sim.setScenario('press', { scenario: 'stopped-powered' });
    assert.equal(await cycleBit(), true, 'the cycle bit stays high after the stop');
    await waitFor('the cycle bit drops', async () => !(await cycleBit()));
    assert.ok(Date.now() >= pulse.lastPulseAt! + WIDTH_MS, 'not before its width is over');
    // No new cycle: checked after more than a cycle of real time (a negative check; a slow
    // machine can only make it easier to pass, never fail it).
    await sleep(3500);
    assert.equal((await sim.truth('press')).pulses, pulse.pulses, 'no cycle after the stop');
    assert.equal(await cycleBit(), false);
  });

  it('refuses an invalid control message with a clear error and keeps running', async () => {
    await assert.rejects(sim.setScenario('press', { scenario: 'idle' as 'off' }), /machine "press": scenario must be one of/);
    await assert.rejects(sim.truth('nope'), /no machine "nope" \(have: press, lathe\)/);
    assert.equal((await sim.truth('press')).scenario, 'stopped-powered');
  });

  it('counts client connections and drops them when the server stops', async () => {
    assert.equal(await sim.connectionCount(), 1);
    await sim.stopServer();
    assert.equal(await sim.connectionCount(), 0);
    client?.Disconnect();
    await assert.rejects(connect(sim.port));
    await sim.startServer();
    client = await connect(sim.port);
    assert.equal(await sim.connectionCount(), 1);
    const db1 = await read(client, 'DB', 1, 0, 8);
    assert.equal(db1.readInt32BE(MACHINE_DB_LAYOUT.unitCounter.offset), (await sim.truth('press')).counter);
  });
});
