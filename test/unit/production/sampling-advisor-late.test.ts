/**
 * The sampling advisor on a busy machine: a reader that is late now and then (overruns) sees a
 * 500 ms pulse in a single reading, and a restart can begin in the middle of a pulse. Neither
 * says the pulse is shorter than a reading: at 200 ms the counter stays green.
 */
import assert from 'node:assert/strict';
import { EDGE_COUNTER_DEFAULTS, EdgeCounter } from '../../../lib/production/edge-counter';

/** A 500 ms pulse every 4 s, from t = 0. */
const pulse = (t: number): boolean => t % 4000 < 500;

describe('production/sampling-advisor on a busy machine', () => {
  it('readings every 200 ms, one slot skipped (an overrun) just before a pulse, seen once: not shorter than a reading', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    // 500 ms pulses: one from 4050, whose reading at 4200 is skipped; then three from 12130, each read 3 times
    const bit = (t: number): boolean => (t >= 4050 && t < 4550) || [12_130, 16_130, 20_130].some((from) => t >= from && t < from + 500);
    let singles = 0;
    let t = 0;
    for (; t <= 30_000; t += 200) {
      if (t === 4200) continue;
      singles += c.sample('m1', t, bit(t)).warnings.filter((w) => w.kind === 'short-pulse').length;
    }
    assert.equal(singles, 1, 'the first pulse was seen in a single reading, as the counter warns');
    assert.deepEqual(c.adviceAt(t), []);
    assert.deepEqual(c.samplingAt(t).map((a) => [a.pulseMs, a.tooSlow]), [[600, false]], 'judged by the pulses read in full');
  });

  it('the first reading after a restart falls inside a pulse, then the machine stands still: no advice', () => {
    const before = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    for (let t = 0; t < 3000; t += 200) before.sample('m1', t, false);
    // restarted: the state is restored, and reading resumes 300 ms into a pulse, which it sees once
    const after = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS }, before.toJSON());
    let t = 8300;
    for (; t < 60_000; t += 200) after.sample('m1', t, t < 8500);
    assert.deepEqual(after.adviceAt(t), [], 'a pulse seen once right after the restart is no evidence');
  });

  it('the first pulse, read in 2 readings (it looks 400 ms), is no verdict: the width is judged on three', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    const starts = [1150, 5130, 9130];
    const bit = (t: number): boolean => starts.some((from) => t >= from && t < from + 500);
    let t = 0;
    for (; t <= 2000; t += 200) c.sample('m1', t, bit(t));
    assert.deepEqual(c.samplingAt(t), [], 'one pulse: no advice yet');
    for (; t <= 12_000; t += 200) c.sample('m1', t, bit(t));
    const [judged] = c.samplingAt(t);
    assert.equal(judged.tooSlow, false, `three pulses, ≈ ${judged.pulseMs} ms`);
  });

  it('a reader regularly too slow still gets its advice: 1000 ms readings of 500 ms pulses', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    let t = 40;
    for (let i = 0; t < 120_000; i++) {
      t = 40 + i * 1003;
      c.sample('m1', t, pulse(t));
    }
    assert.deepEqual(c.adviceAt(t).map((a) => [a.pulseMs, a.readEveryMs]), [[null, 400]]);
  });
});
