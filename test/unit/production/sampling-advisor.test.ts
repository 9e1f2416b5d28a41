import assert from 'node:assert/strict';
import { EDGE_COUNTER_DEFAULTS, EdgeCounter } from '../../../lib/production/edge-counter';
import { SamplingAdvisor } from '../../../lib/production/sampling-advisor';

/** A machine's cycle bit: high for `highMs`, then low for `lowMs`, from t = 0. */
const squareWave = (highMs: number, lowMs: number) => (t: number): boolean => t % (highMs + lowMs) < highMs;

/**
 * Reads `bit` about every `everyMs` (its timer runs 3 ms late, as real timers do, so it drifts
 * against the machine's cycle), with up to ±`jitterMs` of jitter (deterministic), from `from` +
 * `offsetMs` for `forMs`, into the counter; returns the time after the last reading.
 */
function read(counter: EdgeCounter, bit: (t: number) => boolean, everyMs: number, from: number, forMs: number, { offsetMs = 40, jitterMs = 10, lateMs = 3 } = {}): number {
  let seed = 12345;
  const jitter = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.round(((seed / 2 ** 31) * 2 - 1) * jitterMs);
  };
  let t = from;
  for (let i = 0; t < from + forMs; i++) {
    t = from + offsetMs + i * (everyMs + lateMs) + jitter();
    counter.sample('m1', t, bit(t));
  }
  return t + everyMs;
}

describe('production/sampling-advisor', () => {
  const pulses = squareWave(500, 500);

  it('500 ms pulses read every 200 ms: no advice', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    const end = read(c, pulses, 200, 0, 60_000);
    assert.deepEqual(c.adviceAt(end), []);
    assert.ok((c.state.get('m1')?.total ?? 0) >= 59, 'and every pulse counted');
  });

  it('500 ms pulses read every 250 ms (2 readings a pulse): "pulses ≈ 500 ms: read every ≤ 200 ms"', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    const end = read(c, pulses, 250, 0, 60_000);
    const advice = c.adviceAt(end);
    assert.equal(advice.length, 1);
    assert.equal(advice[0].key, 'm1');
    assert.ok(Math.abs((advice[0].pulseMs ?? 0) - 500) <= 25, `pulse width measured as ${advice[0].pulseMs} ms`);
    assert.equal(advice[0].readEveryMs, 200);
  });

  it('500 ms pulses read every 1000 ms: advice within a minute, green within a minute of reading every 200 ms again', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    // Read at the pulses' own period, the samples fall near the same point of each cycle: near an
    // edge they flicker (seen in single samples); far from one the bit looks still and no check
    // of the bit alone can tell (a counter register can).
    let t = read(c, pulses, 1000, 0, 60_000, { offsetMs: 500, jitterMs: 40, lateMs: 0 });
    const slow = c.adviceAt(t);
    assert.equal(slow.length, 1, 'missed pulses are seen');
    assert.equal(slow[0].pulseMs, null, 'phases in single readings: their width is unknown');
    assert.ok(Math.abs(slow[0].intervalMs - 1000) <= 40, `the reading interval: ${slow[0].intervalMs} ms`);
    assert.ok((c.state.get('m1')?.total ?? 0) < 60, 'units were missed');
    assert.ok(slow[0].readEveryMs <= 400, `read every ${slow[0].readEveryMs} ms`);
    t = read(c, pulses, 1000, t, 5 * 60_000, { offsetMs: 0, jitterMs: 40, lateMs: 0 });
    assert.equal(c.adviceAt(t).length, 1, 'still yellow while the bit looks still: the evidence is kept for 10 minutes');
    t = read(c, pulses, 200, t, 60_000);
    assert.deepEqual(c.adviceAt(t), [], 'green within a minute of reading every 200 ms again');
  });

  it('gives no advice in counter mode, nor for a key without phases, and forgets a reset key', () => {
    const counter = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, mode: 'counter' });
    for (let i = 0; i < 100; i++) counter.sample('m1', i * 1000, i);
    assert.deepEqual(counter.adviceAt(100_000), []);
    const edges = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS });
    for (let i = 0; i < 100; i++) edges.sample('m1', i * 1000, false);
    assert.deepEqual(edges.adviceAt(100_000), [], 'a machine standing still');
    read(edges, pulses, 1000, 100_000, 60_000, { offsetMs: 500, jitterMs: 40, lateMs: 0 });
    assert.equal(edges.adviceAt(160_000).length, 1);
    edges.reset('m1');
    assert.deepEqual(edges.adviceAt(160_000), []);
  });

  it('the time across an outage is no reading interval', () => {
    const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, gapWarnMs: 3_600_000 });
    let t = read(c, pulses, 200, 0, 30_000);
    c.outage('m1', t);
    t = read(c, pulses, 200, t + 60_000, 2000);
    assert.deepEqual(c.adviceAt(t), []);
  });

  it('a pause between samples longer than the gap threshold is not a reading interval', () => {
    const advisor = new SamplingAdvisor(10_000);
    advisor.sample('m1', 0);
    advisor.sample('m1', 100);
    advisor.sample('m1', 60_100);
    advisor.phase('m1', 60_100, true, 100, 1);
    advisor.sample('m1', 60_200);
    assert.equal(advisor.adviceAt(60_100)[0].intervalMs, 100);
  });
});
