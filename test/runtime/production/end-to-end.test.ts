/**
 * End to end with the PLC simulator (S7 over loopback, in a child process): plc-connection →
 * plc-reader → edge-counter (counter register) → hourly-aggregator, with the reader's power and
 * cycle readings also feeding the aggregator. A scripted scenario (running, stopped with power,
 * running again, off) must give exactly the simulator's units, in the right hours, and the
 * status, stoppages and minutes the application's rules give for it.
 */
import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import plcConnection from '../../../nodes/plc-connection/plc-connection';
import plcReader from '../../../nodes/plc-reader/plc-reader';
import edgeCounter from '../../../nodes/edge-counter/edge-counter';
import hourlyAggregator from '../../../nodes/hourly-aggregator/hourly-aggregator';
import { PlantZone, MINUTE_MS } from '../../../lib/production/plant-time';
import type { ContractMessage, HourSnapshot, MachineStatusEvent, Reading, UnitEvent } from '../../../lib/shared/messages';
import { helper } from '../../helpers/node-red';
import { startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { sleep, waitFor } from '../../helpers/wait';

const MACHINE = '65f000000000000000000001';
const ZONE = 'Europe/Berlin';
const CYCLE_TIMEOUT_MS = 1200;
const POWER_TIMEOUT_MS = 2400;

function all(node: Node): ContractMessage[] {
  const seen: ContractMessage[] = [];
  node.on('input', (msg: NodeMessage) => seen.push(msg as ContractMessage));
  return seen;
}

/** Distinct wall-clock minutes touched by [from, to], grouped by plant-local hour start. */
function minutesByHour(zone: PlantZone, intervals: [number, number][]): Map<number, number> {
  const minutes = new Set<number>();
  for (const [from, to] of intervals) for (let m = Math.floor(from / MINUTE_MS); m <= Math.floor(to / MINUTE_MS); m++) minutes.add(m);
  const byHour = new Map<number, number>();
  for (const m of minutes) {
    const hour = zone.hourStart(m * MINUTE_MS);
    byHour.set(hour, (byHour.get(hour) ?? 0) + 1);
  }
  return byHour;
}

describe('end to end: simulator → reader → edge-counter → hourly-aggregator', function () {
  this.timeout(120_000);
  let sim: SimulatorHandle;

  before(async () => {
    sim = await startSimulator({
      pduSize: 480,
      machines: [{ name: 'm1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150, powerKw: 12.5 }],
    });
  });
  after(async () => {
    await helper.unload();
    await sim?.close();
  });

  it('counts exactly the simulated units and follows the scripted scenario', async () => {
    const at = { z: 'tab', x: 100, y: 100 };
    const flow = [
      { id: 'tab', type: 'tab', label: 'e2e' },
      {
        id: 'conn', type: 'plc-connection', name: 'sim', family: 'S7-1200/1500', host: '127.0.0.1', port: String(sim.port), addressing: 'rack-slot',
        rack: '0', slot: '1', connectionType: 'PG', pduSize: '480', connectTimeoutMs: '2000', receiveTimeoutMs: '2000', reconnectMinMs: '200',
        reconnectMaxMs: '1000', poolSize: '1', maxGap: '16',
      },
      {
        id: 'reader', type: 'plc-reader', connection: 'conn', source: 'table', intervalMs: 100, outputMode: 'per-cycle', heartbeatS: 0, mappingRefreshS: 60,
        mappingIntervalMs: 0, pinMap: '', mongo: '', ...at, wires: [['ec', 'edges', 'agg', 'readings']],
        signals: [
          { name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE },
          { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: MACHINE },
          { name: 'counter', address: 'DB1.DBD4', dataType: 'DINT', kind: 'counter', machineId: MACHINE },
        ],
      },
      { id: 'ec', type: 'edge-counter', mode: 'counter', keyBy: 'machineId', counterBits: 32, maxStep: 1000, gapWarnSeconds: 60, store: '', ...at, wires: [['agg', 'units']] },
      // The same units from the cycle bit: exact as long as no sampling gap could hide a pulse (the node warns).
      { id: 'edges', type: 'edge-counter', mode: 'rising', keyBy: 'machineId', minHighMs: 0, minLowMs: 0, gapWarnSeconds: 0.14, store: '', ...at, wires: [['edge-units']] },
      { id: 'edge-units', type: 'helper', ...at },
      {
        id: 'agg', type: 'hourly-aggregator', timeZone: ZONE, powerTimeoutMinutes: POWER_TIMEOUT_MS / MINUTE_MS, cycleTimeoutMinutes: CYCLE_TIMEOUT_MS / MINUTE_MS,
        powerThresholdKw: 0.5, snapshotMinutes: 0.005, graceMinutes: 0, tickSeconds: 0.2, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false,
        store: '', mongo: '', timeoutsFromDb: false, ...at, wires: [['production'], ['status']],
      },
      { id: 'readings', type: 'helper', ...at },
      { id: 'units', type: 'helper', ...at },
      { id: 'production', type: 'helper', ...at },
      { id: 'status', type: 'helper', ...at },
    ];
    await helper.load([plcConnection, plcReader, edgeCounter, hourlyAggregator] as Parameters<typeof helper.load>[0], flow as unknown as Parameters<typeof helper.load>[1]);
    const readings = all(helper.getNode('readings'));
    const units = all(helper.getNode('units'));
    const production = all(helper.getNode('production'));
    const status = all(helper.getNode('status'));
    const statusOf = () => status.map((m) => m.payload as MachineStatusEvent);
    const edgeUnits = all(helper.getNode('edge-units'));
    const edgeWarnings: string[] = [];
    (helper.getNode('edges') as unknown as { on(e: string, f: (call: { args: unknown[] }) => void): void }).on('call:warn', (call) => edgeWarnings.push(String(call.args[0])));

    // The script: running, stopped with power on, running, off; each running phase lasts eight units.
    const pulses = async (): Promise<number> => (await sim.truth('m1')).pulses;
    const unitsLater = async (count: number): Promise<void> => {
      const from = await pulses();
      await waitFor(`${count} more units`, async () => (await pulses()) - from >= count);
    };
    await waitFor('running', () => statusOf().find((s) => s.status === 'running'));
    await unitsLater(8);
    await sim.setScenario('m1', { scenario: 'stopped-powered' });
    await waitFor('a stoppage', () => statusOf().find((s) => s.status === 'stoppage'));
    await sleep(1000); // the stoppage lasts a while
    // No cycle between the stop and this instant: the last one before it ended the first run.
    const resumeAt = Date.now();
    await sim.setScenario('m1', { scenario: 'running' });
    await unitsLater(8);
    await sim.setScenario('m1', { scenario: 'off' });
    await waitFor('inactive', () => statusOf().find((s) => s.status === 'inactive'));
    const truth = await sim.truth('m1');

    // Units: exactly what the PLC's counter counted from the baseline sample on.
    const counterOf = (m: ContractMessage) => m.readings?.find((r) => r.signal.name === 'counter' && r.quality === 'good')?.value as number | undefined;
    const first = readings.find((m) => counterOf(m) !== undefined) as ContractMessage;
    const produced = truth.counter - (counterOf(first) as number);
    assert.ok(produced >= 15, `a meaningful run: ${produced} units`);
    const events = units.map((m) => m.units as UnitEvent);
    assert.equal(events.reduce((sum, e) => sum + e.delta, 0), produced, 'edge-counter: every simulated unit, once');
    const fromEdges = edgeUnits.reduce((sum, m) => sum + (m.units as UnitEvent).delta, 0);
    if (edgeWarnings.length === 0) assert.equal(fromEdges, produced, 'edges of the cycle bit: every unit when sampling kept up');
    else assert.ok(fromEdges <= produced && edgeWarnings.some((w) => /gap|short-pulse|single sample/.test(w)), `missed pulses are warned about: ${edgeWarnings.join('; ')}`);
    const zone = new PlantZone(ZONE);
    const expectedUnits = new Map<number, number>();
    for (const e of events) expectedUnits.set(zone.hourStart(e.timestamp), (expectedUnits.get(zone.hourStart(e.timestamp)) ?? 0) + e.delta);

    // Status, the application's way, at the instants the timeouts give.
    assert.deepEqual(statusOf().map((s) => s.status), ['running', 'stoppage', 'running', 'stoppage', 'inactive']);
    const seenCycle = (r: Reading) => r.signal.name === 'cycle' && r.value === true;
    const cycleTimes = [...readings.flatMap((m) => (m.readings ?? []).filter(seenCycle).map((r) => r.timestamp)), ...events.map((e) => e.timestamp)].sort((a, b) => a - b);
    const lastCycleBefore = (t: number) => cycleTimes.filter((c) => c <= t).at(-1) as number;
    const firstCycleAfter = (t: number) => cycleTimes.find((c) => c > t) as number;
    const [, stop1, resumed, stop2, inactive] = statusOf();
    assert.equal(stop1.timestamp, lastCycleBefore(resumeAt) + CYCLE_TIMEOUT_MS + 1, 'stoppage when the cycle timeout ran out');
    assert.equal(resumed.timestamp, firstCycleAfter(resumeAt - 1), 'running again with the first cycle');
    assert.equal(stop2.timestamp, (cycleTimes.at(-1) as number) + CYCLE_TIMEOUT_MS + 1, 'the last cycle, then the cycle timeout');
    const powered = readings.flatMap((m) => (m.readings ?? []).filter((r) => r.signal.name === 'power' && (r.value as number) >= 0.5).map((r) => r.timestamp));
    assert.equal(inactive.timestamp, Math.max(...powered) + POWER_TIMEOUT_MS + 1, 'inactive when the power timeout ran out');

    // The hours as the aggregator reports them: the latest snapshot per hour, once it shows the
    // second stoppage (open since the last cycle: nothing that is checked changes after it).
    const latestSnapshots = (): Map<number, HourSnapshot> => {
      const byHour = new Map<number, HourSnapshot>();
      for (const m of production) {
        const s = m.payload as HourSnapshot;
        byHour.set(hourKey(zone, s), s);
      }
      return byHour;
    };
    const latest = await waitFor('the snapshot with the open stoppage', () => {
      const byHour = latestSnapshots();
      return [...byHour.values()].some((snapshot) => snapshot.stoppages.some((p) => p.isPending
        && (p.startTime === stop2.timestamp || p.startTime === zone.hourStart(p.startTime)))) && byHour;
    });
    assert.deepEqual([...latest.keys()].sort(), [...expectedUnits.keys()].sort(), 'the hours that had units');
    const running = minutesByHour(zone, [[statusOf()[0].timestamp, stop1.timestamp - 1], [resumed.timestamp, stop2.timestamp - 1]]);
    for (const [hour, snapshot] of latest) {
      assert.equal(snapshot.unitsProduced, expectedUnits.get(hour), `units of ${snapshot.date} ${snapshot.hour}:00`);
      assert.equal(snapshot.runningMinutes, running.get(hour) ?? 0, 'each wall-clock minute with running status counts once');
      assert.equal(snapshot.stoppageMinutes, snapshot.stoppages.reduce((sum, s) => sum + s.duration, 0));
    }
    // The first stoppage: from the cycle timeout to the first cycle after the resume (split if an hour ended meanwhile).
    const stoppages = [...latest.values()].flatMap((snapshot) => snapshot.stoppages);
    assert.ok(stoppages.some((p) => p.startTime === stop1.timestamp), 'a stoppage starts when the cycle timeout ran out');
    assert.ok(stoppages.some((p) => p.endTime === resumed.timestamp && !p.isPending), 'the next cycle ends it');
    // The second one is still open: no cycle since.
    const open = stoppages.filter((p) => p.isPending);
    assert.equal(open.length, 1);
    assert.ok(open[0].startTime === stop2.timestamp || open[0].startTime === zone.hourStart(open[0].startTime));
    assert.equal(latest.get(zone.hourStart(open[0].startTime))?.status, 'stoppage');
  });
});

function hourKey(zone: PlantZone, s: HourSnapshot): number {
  // The snapshot's slot back to its UTC hour start: search the day for the hour with this label.
  const dayStart = Date.parse(`${s.date}T00:00:00Z`) - 14 * 3_600_000;
  for (let t = zone.hourStart(dayStart); t < dayStart + 40 * 3_600_000; t += 3_600_000) {
    const label = zone.label(t);
    if (label.date === s.date && label.hour === s.hour) return t;
  }
  throw new Error(`no hour ${s.date} ${s.hour}`);
}
