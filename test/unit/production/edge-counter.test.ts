import assert from 'node:assert/strict';
import { EDGE_COUNTER_DEFAULTS, EdgeCounter, type EdgeCounterOptions } from '../../../lib/production/edge-counter';

const counter = (options: Partial<EdgeCounterOptions> = {}) => new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, ...options });

/** Feeds a bit sequence sampled every `every` ms from t0 and returns the deltas. */
function feed(c: EdgeCounter, bits: (0 | 1)[], every = 100, t0 = 1_000_000, key = 'm1'): number[] {
  return bits.map((bit, i) => c.sample(key, t0 + i * every, bit).delta);
}

describe('production/edge-counter', () => {
  describe('edges', () => {
    it('counts rising edges; the first sample only sets the baseline', () => {
      const c = counter();
      const first = c.sample('m1', 1000, true);
      assert.equal(first.baseline, true);
      assert.equal(first.delta, 0, 'a high first sample is no unit');
      assert.deepEqual(feed(c, [0, 1, 1, 0, 1, 0, 0, 1], 100, 2000), [0, 1, 0, 0, 1, 0, 0, 1]);
      assert.equal(c.state.m1.total, 3);
    });

    it('counts falling edges and both edges', () => {
      assert.deepEqual(feed(counter({ mode: 'falling' }), [0, 1, 0, 1, 1, 0]), [0, 0, 1, 0, 0, 1]);
      assert.deepEqual(feed(counter({ mode: 'both' }), [0, 1, 0, 1, 1, 0]), [0, 1, 1, 1, 0, 1]);
    });

    it('stamps a unit with the time of the first sample showing the new level', () => {
      const c = counter({ minHighMs: 150 });
      c.sample('m1', 0, false);
      assert.equal(c.sample('m1', 100, true).delta, 0);
      const confirmed = c.sample('m1', 300, true);
      assert.equal(confirmed.delta, 1);
      assert.equal(confirmed.timestamp, 100);
    });

    it('debounces: bounces shorter than the minimum high/low time are suppressed and counted', () => {
      const c = counter({ minHighMs: 200, minLowMs: 200 });
      // 50 ms sampling: a 1-sample high bounce, then a real pulse (10 samples) with a 1-sample low dip.
      const deltas = feed(c, [0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 50, 0);
      assert.equal(deltas.reduce((a, b) => a + b, 0), 1);
      assert.equal(c.state.m1.suppressed, 2, 'one high bounce and one low dip');
      assert.equal(c.state.m1.level, false);
    });

    it('accepts 1/0 and true/false, rejects anything else naming the field', () => {
      const c = counter();
      c.sample('m1', 0, 0);
      assert.equal(c.sample('m1', 1, true).delta, 1);
      assert.throws(() => c.sample('m1', 2, 'on', 'msg.payload'), /msg\.payload of key "m1": expected a BOOL/);
      assert.throws(() => c.sample('m1', 3, 2), /: expected a BOOL/);
    });

    it('rejects samples older than the previous one of the same key', () => {
      const c = counter();
      c.sample('m1', 1000, false);
      assert.throws(() => c.sample('m1', 999, true), /older than its previous sample/);
      assert.equal(c.sample('m2', 5, false).baseline, true, 'other keys are independent');
    });
  });

  describe('missed-pulse warnings', () => {
    it('warns when a pulse is seen in a single sample', () => {
      const c = counter();
      feed(c, [0, 0, 0], 1000, 0);
      assert.deepEqual(c.sample('m1', 3000, 1).warnings, []);
      const result = c.sample('m1', 4000, 0);
      assert.deepEqual(result.warnings.map((w) => w.kind), ['short-pulse']);
      assert.match(result.warnings[0].message, /single sample \(1000 ms\).*counter mode/);
    });

    it('does not warn when every phase spans several samples', () => {
      const c = counter();
      const warnings = [0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0].flatMap((bit, i) => c.sample('m1', i * 100, bit).warnings);
      assert.deepEqual(warnings, []);
    });

    it('warns after a gap in the data', () => {
      const c = counter({ gapWarnMs: 5000 });
      c.sample('m1', 0, 0);
      assert.deepEqual(c.sample('m1', 5000, 0).warnings, []);
      const result = c.sample('m1', 17_000, 0);
      assert.equal(result.warnings[0].kind, 'gap');
      assert.match(result.warnings[0].message, /gap of 12\.0 s in the samples of "m1"/);
    });
  });

  describe('counter registers', () => {
    it('counts the delta; the first value is the baseline', () => {
      const c = counter({ mode: 'counter' });
      assert.equal(c.sample('m1', 0, 1234).delta, 0);
      assert.equal(c.sample('m1', 1, 1240).delta, 6);
      assert.equal(c.sample('m1', 2, 1240).delta, 0);
      assert.equal(c.state.m1.total, 6);
    });

    it('tells a 16-bit rollover from a reset', () => {
      const c = counter({ mode: 'counter', counterBits: 16 });
      c.sample('m1', 0, 65530);
      const rolled = c.sample('m1', 1, 4);
      assert.equal(rolled.delta, 10);
      assert.deepEqual(rolled.warnings, []);
      c.sample('m1', 2, 30_000);
      const reset = c.sample('m1', 3, 3);
      assert.equal(reset.delta, 3, 'a reset counts what the counter counted since 0');
      assert.equal(reset.warnings[0].kind, 'counter-reset');
    });

    it('handles 32-bit rollover and signed INT registers', () => {
      const c32 = counter({ mode: 'counter', counterBits: 32 });
      c32.sample('m1', 0, 4_294_967_290);
      assert.equal(c32.sample('m1', 1, 2).delta, 8);
      const c16 = counter({ mode: 'counter', counterBits: 16 });
      c16.sample('m1', 0, 32_767);
      assert.equal(c16.sample('m1', 1, -32_768).delta, 1, 'INT wraps from 32767 to -32768');
      assert.equal(c16.sample('m1', 2, -32_760).delta, 8);
    });

    it('re-baselines on an implausible jump instead of counting it', () => {
      const c = counter({ mode: 'counter', maxStep: 100 });
      c.sample('m1', 0, 10);
      const jump = c.sample('m1', 1, 5000);
      assert.equal(jump.delta, 0);
      assert.equal(jump.warnings[0].kind, 'counter-jump');
      assert.equal(c.sample('m1', 2, 5003).delta, 3);
    });

    it('rejects values outside the register', () => {
      const c = counter({ mode: 'counter', counterBits: 16 });
      assert.throws(() => c.sample('m1', 0, 70_000, 'msg.payload'), /msg\.payload of key "m1": expected an integer counter value of 16 bits, got 70000/);
      assert.throws(() => c.sample('m1', 0, 1.5), /integer counter value/);
      assert.throws(() => c.sample('m1', 0, Number.NaN), /got NaN/);
    });
  });

  describe('state', () => {
    it('survives JSON and a restart without phantom units', () => {
      const c = counter();
      feed(c, [0, 1, 0, 1, 0]);
      assert.equal(c.state.m1.total, 2);
      const restarted = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS }, JSON.parse(JSON.stringify(c.state)));
      restarted.rebaseline();
      assert.equal(restarted.sample('m1', 10_000, true).delta, 0, 'high after restart: baseline, not a unit');
      assert.equal(restarted.sample('m1', 10_100, false).delta, 0);
      const next = restarted.sample('m1', 10_200, true);
      assert.equal(next.delta, 1);
      assert.equal(next.total, 3, 'the total continues');
    });

    it('counter mode re-baselines after a restart too', () => {
      const c = counter({ mode: 'counter' });
      c.sample('m1', 0, 100);
      c.sample('m1', 1, 105);
      const restarted = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, mode: 'counter' }, JSON.parse(JSON.stringify(c.state)));
      restarted.rebaseline();
      assert.equal(restarted.sample('m1', 2, 180).delta, 0);
      assert.equal(restarted.sample('m1', 3, 181).total, 6);
    });

    it('ignores restored garbage and resets one key or all', () => {
      const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS }, { good: { total: 4, suppressed: 0 }, bad: 'x', worse: { total: 'NaN' } });
      assert.deepEqual(Object.keys(c.state), ['good']);
      feed(c, [0, 1], 100, 0, 'other');
      c.reset('good');
      assert.deepEqual(Object.keys(c.state), ['other']);
      c.reset();
      assert.deepEqual(Object.keys(c.state), []);
    });
  });
});
