import assert from 'node:assert/strict';
import type { HourSnapshot } from '../../../lib/shared/messages';
import { CYCLE_HISTORY, TelemetryRegistry, type ReaderSample, type TelemetrySnapshot } from '../../../lib/shared/telemetry';
import { ManualClock } from '../../helpers/manual-clock';
import { waitFor } from '../../helpers/wait';

const reader = (patch: Partial<ReaderSample> = {}): ReaderSample => ({
  nodeId: 'r1', name: 'line 1', state: 'connected', intervalMs: 200, ratePerS: 5, tags: 4, requestsPerCycle: 1,
  pduSize: 480, overruns: 0, bad: 0, cycleTimeMs: 3.24, ...patch,
});

const hour = (patch: Partial<HourSnapshot> = {}): HourSnapshot => ({
  machineId: 'aaaaaaaaaaaaaaaaaaaaaaaa', date: '2026-12-01', hour: 5, unitsProduced: 12, runningMinutes: 20, stoppageMinutes: 3,
  status: 'running', stoppages: [], final: false, revision: 1, ...patch,
});

describe('live telemetry registry', () => {
  it('keeps each reader\'s latest numbers and a bounded cycle-time history, without extra fields', () => {
    const clock = new ManualClock();
    const registry = new TelemetryRegistry(() => clock.now());
    for (let i = 0; i < CYCLE_HISTORY + 5; i++) registry.reader(reader({ cycleTimeMs: i, ratePerS: 4.9 }));
    const [r] = registry.snapshot().readers;
    assert.equal(r.cycleTimesMs.length, CYCLE_HISTORY);
    assert.equal(r.cycleTimesMs[CYCLE_HISTORY - 1], CYCLE_HISTORY + 4);
    assert.equal(r.ratePerS, 4.9);
    assert.deepEqual(Object.keys(r).sort(), ['bad', 'cycleTimesMs', 'intervalMs', 'name', 'nodeId', 'overruns', 'pduSize',
      'ratePerS', 'requestsPerCycle', 'state', 'tags']);
  });

  it('shows the newest hour per machine with its status, ignoring a late final of an earlier hour', () => {
    const registry = new TelemetryRegistry();
    registry.production('agg', { snapshots: [hour({ hour: 6, unitsProduced: 2, status: 'inactive' })], statuses: [] });
    assert.equal(registry.snapshot().machines[0].status, 'inactive', 'the hour\'s status until a status change is reported');
    registry.production('agg', { snapshots: [hour({ hour: 5, unitsProduced: 40, final: true })], statuses: [
      { machineId: 'aaaaaaaaaaaaaaaaaaaaaaaa', status: 'stoppage' } as never] });
    const [m] = registry.snapshot().machines;
    assert.equal(m.hour, 6);
    assert.equal(m.units, 2);
    assert.equal(m.status, 'stoppage');
  });

  it('measures a sink\'s written per second over its reports, on the time given', () => {
    const registry = new TelemetryRegistry();
    const sample = { nodeId: 's1', name: 'sink', queued: 0, spooled: 0, failed: 0, dropped: 0 };
    registry.sink({ ...sample, at: 0, written: 0 });
    assert.equal(registry.snapshot().sinks[0].writtenPerS, 0);
    registry.sink({ ...sample, at: 2000, written: 20 });
    assert.equal(registry.snapshot().sinks[0].writtenPerS, 10);
  });

  it('forgets a closed node\'s entries', () => {
    const registry = new TelemetryRegistry();
    registry.reader(reader());
    registry.production('agg', { snapshots: [hour()], statuses: [] });
    registry.remove('r1');
    registry.remove('agg');
    assert.deepEqual(registry.snapshot().readers, []);
    assert.deepEqual(registry.snapshot().machines, []);
  });

  it('tells its listeners at most once per interval, with the latest state', async () => {
    const registry = new TelemetryRegistry(Date.now, 50);
    const heard: TelemetrySnapshot[] = [];
    const unsubscribe = registry.subscribe((s) => heard.push(s));
    for (let i = 0; i < 5; i++) registry.reader(reader({ overruns: i }));
    assert.equal(heard.length, 1, 'the first change is told at once, the rest wait for the interval');
    await waitFor('the held changes told', () => heard.length === 2);
    assert.equal(heard[1].readers[0].overruns, 4);
    unsubscribe();
    registry.reader(reader());
    registry.close();
    assert.equal(heard.length, 2);
  });
});
