import assert from 'node:assert/strict';
import { BadSetTracker, changed, OutputShaper } from '../../../lib/reader/output';
import type { Reading, SignalIdentity } from '../../../lib/shared/messages';

const MACHINE = '65f000000000000000000001';
const SENSOR = '65f0000000000000000000a1';
const power: SignalIdentity = { name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE, sensorId: SENSOR };
const cycle: SignalIdentity = { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', pinId: 'DQ.1' };

const good = (signal: SignalIdentity, value: unknown, timestamp: number): Reading => ({ signal, value, quality: 'good', timestamp });
const bad = (signal: SignalIdentity, timestamp: number, error = `signal "${signal.name}" (${signal.address}): gone`): Reading =>
  ({ signal, value: null, quality: 'bad', error, timestamp });
const deadbands: Record<string, number> = { power: 0.5, cycle: 0 };
const deadbandOf = (name: string): number => deadbands[name] ?? 0;

describe('reader output modes', () => {
  it('per signal: topic, payload, identity, quality and source timestamp; error only when bad', () => {
    const shaper = new OutputShaper({ mode: 'per-signal', heartbeatMs: 0 });
    const msgs = shaper.shape([good(power, 12.5, 1000), bad(cycle, 1000)], deadbandOf);
    assert.deepEqual(msgs, [
      { topic: 'power', payload: 12.5, signal: power, quality: 'good', timestamp: 1000 },
      { topic: 'cycle', payload: null, signal: cycle, quality: 'bad', timestamp: 1000, error: 'signal "cycle" (DQ.1): gone' },
    ]);
  });

  it('per cycle: payload keyed by name, the readings beside it, the read time', () => {
    const shaper = new OutputShaper({ mode: 'per-cycle', heartbeatMs: 0 });
    const readings = [good(power, 3, 2000), good(cycle, true, 2000)];
    assert.deepEqual(shaper.shape(readings, deadbandOf), [{ payload: { power: 3, cycle: true }, readings, timestamp: 2000 }]);
    assert.deepEqual(shaper.shape([], deadbandOf), []);
  });

  it('on change: first value, changes beyond the deadband, BOOL edges, quality changes, heartbeat', () => {
    const shaper = new OutputShaper({ mode: 'on-change', heartbeatMs: 10_000 });
    const sent = (readings: Reading[]): string[] => shaper.shape(readings, deadbandOf).map((m) => `${m.topic}=${String(m.payload)}/${m.quality}`);
    assert.deepEqual(sent([good(power, 10, 0), good(cycle, false, 0)]), ['power=10/good', 'cycle=false/good']);
    assert.deepEqual(sent([good(power, 10.5, 1000), good(cycle, false, 1000)]), [], 'within deadband, no edge');
    assert.deepEqual(sent([good(power, 10.6, 2000), good(cycle, true, 2000)]), ['power=10.6/good', 'cycle=true/good']);
    // the deadband is measured from the last sent value, so slow creep is still reported
    assert.deepEqual(sent([good(power, 11.0, 3000)]), []);
    assert.deepEqual(sent([good(power, 11.2, 4000)]), ['power=11.2/good']);
    assert.deepEqual(sent([bad(power, 5000)]), ['power=null/bad']);
    assert.deepEqual(sent([bad(power, 6000)]), [], 'still bad: not repeated');
    assert.deepEqual(sent([good(power, 11.2, 7000)]), ['power=11.2/good'], 'back to good');
    assert.deepEqual(sent([good(cycle, true, 11_999)]), []);
    assert.deepEqual(sent([good(cycle, true, 12_000)]), ['cycle=true/good'], 'heartbeat after 10 s');
  });

  it('on change with force (a read someone asked for) sends everything', () => {
    const shaper = new OutputShaper({ mode: 'on-change', heartbeatMs: 0 });
    shaper.shape([good(power, 1, 0)], deadbandOf);
    assert.equal(shaper.shape([good(power, 1, 10)], deadbandOf).length, 0);
    assert.equal(shaper.shape([good(power, 1, 20)], deadbandOf, true).length, 1);
    shaper.reset();
    assert.equal(shaper.shape([good(power, 1, 30)], deadbandOf).length, 1, 'after reset the next value is sent');
  });

  it('compares values: numbers by deadband, arrays and objects by content, NaN stays NaN', () => {
    assert.equal(changed(1, 1.4, 0.5), false);
    assert.equal(changed(1, 1.6, 0.5), true);
    assert.equal(changed(1, 1, 0), false);
    assert.equal(changed([1, 2], [1, 2], 0), false);
    assert.equal(changed([1, 2], [1, 3], 0), true);
    assert.equal(changed('a', 'b', 0), true);
    assert.equal(changed(NaN, NaN, 0), false);
    assert.equal(changed(NaN, 1, 0), true);
    assert.equal(changed(null, 0, 0), true);
  });

  it('per cycle: a signal named like a prototype key is an own payload field and pollutes nothing', () => {
    const shaper = new OutputShaper({ mode: 'per-cycle', heartbeatMs: 0 });
    const odd = (name: string): SignalIdentity => ({ ...power, name });
    const [msg] = shaper.shape([good(odd('__proto__'), { polluted: true }, 1000), good(odd('constructor'), 3, 1000), good(power, 12.5, 1000)], deadbandOf);
    const payload = msg.payload as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ['__proto__', 'constructor', 'power']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(payload, '__proto__')?.value, { polluted: true });
    assert.equal(payload.constructor, 3);
    assert.equal(Object.getPrototypeOf(payload), Object.prototype, 'a plain object for function nodes');
    assert.equal((payload as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
});

describe('reader bad-set tracking', () => {
  it('reports once per change of the set of bad signals, with every bad signal', () => {
    const t = new BadSetTracker();
    assert.equal(t.update([good(power, 1, 0), good(cycle, true, 0)]), undefined);
    assert.deepEqual(t.update([good(power, 1, 1), bad(cycle, 1)]), ['signal "cycle" (DQ.1): gone']);
    assert.equal(t.update([good(power, 1, 2), bad(cycle, 2)]), undefined, 'same set: no flood');
    assert.deepEqual(t.update([bad(power, 3, 'p broken')]), ['signal "cycle" (DQ.1): gone', 'p broken'], 'another group adds one');
    assert.deepEqual(t.update([good(power, 1, 4)]), ['signal "cycle" (DQ.1): gone'], 'one recovered, one still bad');
    assert.equal(t.update([good(cycle, true, 5)]), undefined, 'all good: nothing to report');
    assert.equal(t.size, 0);
    t.update([bad(cycle, 6)]);
    t.retain(new Set(['power']));
    assert.equal(t.size, 0, 'forgets signals no longer configured');
  });

});
