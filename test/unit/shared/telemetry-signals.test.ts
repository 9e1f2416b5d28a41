import assert from 'node:assert/strict';
import type { Reading, SignalIdentity } from '../../../lib/shared/messages';
import { SignalWatch } from '../../../lib/shared/telemetry-signals';

const cycle: SignalIdentity = { name: 'press-1 cycle', address: 'Q0.1', dataType: 'BOOL', kind: 'unit-cycle' };
const temp: SignalIdentity = { name: 'oil temp', address: 'DB1.DBD0', dataType: 'REAL', kind: 'other' };
const at = (signal: SignalIdentity, value: unknown, timestamp: number, quality: Reading['quality'] = 'good'): Reading =>
  ({ signal, value, quality, timestamp, ...(quality === 'bad' ? { error: `${signal.name}: read failed`, value: null } : {}) });

describe('reader live view (signal watch)', () => {
  it('shows each signal\'s value, quality and time of last change', () => {
    const watch = new SignalWatch('r1');
    watch.observe([at(cycle, false, 1000), at(temp, 18.5, 1000)]);
    watch.observe([at(cycle, false, 1200), at(temp, 18.5, 1200)]);
    watch.observe([at(cycle, true, 1400), at(temp, 18.5, 1400, 'bad')]);
    const view = watch.view();
    assert.equal(view.nodeId, 'r1');
    assert.deepEqual(view.signals.map((s) => [s.name, s.value, s.quality, s.changedAt]), [
      ['press-1 cycle', true, 'good', 1400],
      ['oil temp', null, 'bad', 1400],
    ]);
    assert.equal(view.signals[1].error, 'oil temp: read failed');
  });

  it('measures the shortest high phase of a boolean as sampled, and forgets a phase broken by a bad reading', () => {
    const watch = new SignalWatch('r1');
    const pulses: Array<[boolean, number]> = [[false, 0], [true, 1000], [false, 2000], [true, 3000], [false, 3600], [true, 5000]];
    watch.observe(pulses.map(([v, t]) => at(cycle, v, t)));
    assert.equal(watch.view().signals[0].shortestPulseMs, 600);
    watch.observe([at(cycle, null, 5100, 'bad'), at(cycle, false, 5200)]);
    assert.equal(watch.view().signals[0].shortestPulseMs, 600, 'a high phase with a gap in it is no measurement');
    watch.observe([at(cycle, true, 6000), at(cycle, false, 6200)]);
    assert.equal(watch.view().signals[0].shortestPulseMs, 200);
    assert.equal(watch.view().signals.length, 1);
  });

  it('drops signals no longer read', () => {
    const watch = new SignalWatch('r1');
    watch.observe([at(cycle, true, 0), at(temp, 1, 0)]);
    watch.retain(['oil temp']);
    assert.deepEqual(watch.view().signals.map((s) => s.name), ['oil temp']);
    assert.equal(watch.view().signals[0].shortestPulseMs, undefined);
  });
});
