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
      assert.equal(c.state.get('m1')?.total, 3);
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
      assert.equal(c.state.get('m1')?.suppressed, 2, 'one high bounce and one low dip');
      assert.equal(c.state.get('m1')?.level, false);
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
      assert.deepEqual(result.warnings[0].params, { key: 'm1', level: 'high', width: 1000 });
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
      assert.deepEqual(result.warnings[0].params, { key: 'm1', from: new Date(5000).toISOString(), to: new Date(17_000).toISOString(), seconds: '12.0' });
    });
  });

  describe('counter registers', () => {
    it('counts the delta; the first value is the baseline', () => {
      const c = counter({ mode: 'counter' });
      assert.equal(c.sample('m1', 0, 1234).delta, 0);
      assert.equal(c.sample('m1', 1, 1240).delta, 6);
      assert.equal(c.sample('m1', 2, 1240).delta, 0);
      assert.equal(c.state.get('m1')?.total, 6);
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
    /** The counter as the node restores it after a restart: its state through JSON. */
    const restarted = (c: EdgeCounter, options: Partial<EdgeCounterOptions> = {}) =>
      new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, ...options }, JSON.parse(JSON.stringify(c.toJSON())));

    it('edge modes continue from the persisted level after a restart: an edge across the downtime counts once, none is invented', () => {
      const c = counter();
      feed(c, [0, 1, 0, 1, 0]);
      assert.equal(c.state.get('m1')?.total, 2);
      const low = restarted(c);
      const across = low.sample('m1', 2_000_000, true);
      assert.equal(across.delta, 1, 'low before the stop, high after: the rising edge happened while stopped');
      assert.equal(across.total, 3, 'the total continues');
      assert.equal(low.sample('m1', 2_000_100, true).delta, 0);

      const high = restarted(low);
      assert.equal(high.sample('m1', 3_000_000, true).delta, 0, 'high before and after: no edge invented');
      assert.equal(high.sample('m1', 3_000_100, false).delta, 0);
      assert.equal(high.sample('m1', 3_000_200, true).total, 4);
    });

    it('counter mode counts the units made while stopped, from the persisted counter value', () => {
      const c = counter({ mode: 'counter' });
      c.sample('m1', 0, 100);
      c.sample('m1', 1000, 105);
      const later = restarted(c, { mode: 'counter' });
      const first = later.sample('m1', 60_000, 180);
      assert.equal(first.baseline, false);
      assert.equal(first.delta, 75, 'the 75 units the PLC counted while Node-RED was down');
      assert.equal(later.sample('m1', 61_000, 181).total, 81);
    });

    it('keeps a key named __proto__ as data: nothing reaches Object.prototype, in the state or its JSON round trip', () => {
      const c = counter();
      c.sample('__proto__', 0, false);
      c.sample('__proto__', 100, true);
      const probe = {} as Record<string, unknown>;
      for (const field of ['total', 'level', 'lastTs', 'counter', 'pending', 'suppressed']) assert.equal(probe[field], undefined, `Object.prototype.${field}`);
      assert.equal(c.state.get('__proto__')?.total, 1);
      const back = restarted(c);
      assert.equal(back.sample('__proto__', 200, false).total, 1);
      assert.equal(back.sample('__proto__', 300, true).total, 2, 'the key came back from JSON with its count');
      assert.equal(({} as Record<string, unknown>).total, undefined);
      assert.deepEqual([...back.state.keys()], ['__proto__']);
    });

    it('ignores restored garbage and resets one key or all', () => {
      const c = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS }, { good: { total: 4, suppressed: 0 }, bad: 'x', worse: { total: 'NaN' } });
      assert.deepEqual([...c.state.keys()], ['good']);
      feed(c, [0, 1], 100, 0, 'other');
      c.reset('good');
      assert.deepEqual([...c.state.keys()], ['other']);
      c.reset();
      assert.deepEqual([...c.state.keys()], []);
    });
  });

  describe('resets, rollovers and jumps judged by the ideal cycle time', () => {
    const cycled = () => counter({ mode: 'counter', counterBits: 16, idealCycleMs: 1000 });

    it('counts a step that is possible in the elapsed time', () => {
      const c = cycled();
      c.sample('m1', 0, 20);
      assert.equal(c.sample('m1', 5000, 26).delta, 6, '6 units in 5 s at a 1 s ideal cycle (5.5 + 1 possible)');
      assert.deepEqual(c.sample('m1', 5000, 26).warnings, []);
    });

    it('takes an increase impossible for the elapsed time as a jump: nothing counted, new baseline, counted in the state', () => {
      const c = cycled();
      c.sample('m1', 0, 20);
      const jump = c.sample('m1', 2000, 40);
      assert.equal(jump.delta, 0);
      assert.equal(jump.warnings[0].kind, 'counter-jump');
      assert.deepEqual(jump.warnings[0].params, { key: 'm1', from: 20, to: 40, limit: 3 });
      assert.equal(c.sample('m1', 3000, 41).delta, 1, 'counts on from the new value');
      assert.equal(c.state.get('m1')?.jumps, 1);
    });

    it('a PLC restart: the counter back near 0 counts what it made since, a preset value counts nothing', () => {
      const c = cycled();
      c.sample('m1', 0, 20);
      const reset = c.sample('m1', 30_000, 3);
      assert.equal(reset.delta, 3, 'a reset: 3 units since 0');
      assert.deepEqual(reset.warnings.map((w) => w.kind), ['gap', 'counter-reset'], '30 s without a sample is a gap too');
      assert.deepEqual(reset.warnings[1].params, { key: 'm1', from: 20, to: 3, counted: 3 });
      c.sample('m1', 31_000, 500);
      const preset = c.sample('m1', 32_000, 100);
      assert.equal(preset.delta, 0, '100 units are not possible in 1 s: the counter was preset, nothing invented');
      assert.equal(c.state.get('m1')?.resets, 2);
    });

    it('a rollover only when the wrapped step is possible in the time', () => {
      const c = cycled();
      c.sample('m1', 0, 65_534);
      assert.equal(c.sample('m1', 3000, 1).delta, 3, 'wrapped by 3 in 3 s');
      assert.equal(c.state.get('m1')?.rollovers, 1);
      c.sample('m1', 4000, 65_530);
      const back = c.sample('m1', 5000, 10);
      assert.equal(back.warnings[0].kind, 'counter-reset', '16 units in 1 s are not possible: a reset, not a rollover');
      assert.equal(back.delta, 0, 'and 10 units since 0 are not possible either');
    });

    it('after a long stop, the units possible in the whole downtime bound the step', () => {
      const c = cycled();
      c.sample('m1', 0, 100);
      const later = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, mode: 'counter', idealCycleMs: 1000 }, JSON.parse(JSON.stringify(c.toJSON())));
      assert.equal(later.sample('m1', 3_600_000, 3100).delta, 3000, '3000 units in an hour at a 1 s cycle: counted, though above max. step');
    });
  });

  describe('gaps', () => {
    it('a bad-quality reading starts a gap; the next good sample ends it with a warning naming the key and its span', () => {
      const c = counter({ gapWarnMs: 10_000 });
      c.sample('m1', 0, 0);
      assert.deepEqual(c.gapsAt(500), []);
      c.outage('m1', 1000);
      c.outage('m1', 2000);
      assert.deepEqual(c.gapsAt(4000), [{ key: 'm1', since: 1000, ageMs: 3000 }], 'from the first bad reading');
      const back = c.sample('m1', 5000, 0);
      assert.deepEqual(back.warnings.map((w) => w.kind), ['gap']);
      assert.deepEqual(back.warnings[0].params, { key: 'm1', from: new Date(0).toISOString(), to: new Date(5000).toISOString(), seconds: '5.0' });
      assert.deepEqual(c.gapsAt(5500), []);
      assert.equal(c.state.get('m1')?.gaps, 1);
    });

    it('while running, a pause that could hold a whole unread pulse is a gap, below the threshold too; a late reading is not (edge modes only)', () => {
      const c = counter({ gapWarnMs: 10_000 });
      // pulses of 500 ms, read every 100 ms
      let t = 0;
      for (; t <= 2000; t += 100) c.sample('m1', t, Math.floor(t / 500) % 2);
      assert.equal(c.state.get('m1')?.shortestPhaseMs, 500);
      t -= 100;
      assert.deepEqual(c.sample('m1', t + 250, 0).warnings, [], 'a reading 150 ms late: jitter');
      const stalled = c.sample('m1', t + 250 + 700, 0);
      assert.deepEqual(stalled.warnings.map((w) => w.kind), ['gap'], '700 ms without a reading could hold a 500 ms pulse');
      assert.equal(stalled.warnings[0].params.seconds, '0.7');
      assert.equal(c.state.get('m1')?.gaps, 1);
      // counter mode counts across any pause: the same pauses are no gap
      const register = counter({ mode: 'counter', gapWarnMs: 10_000 });
      for (let r = 0; r <= 2000; r += 100) register.sample('m1', r, Math.floor(r / 1000));
      assert.deepEqual(register.sample('m1', 2700, 2).warnings, []);
    });

    it('a restart pause longer than a second or than the shortest phase seen is a gap, even below the threshold (edge modes only)', () => {
      const c = counter({ gapWarnMs: 10_000 });
      // pulses of 500 ms, read every 100 ms
      for (let t = 0; t <= 2000; t += 100) c.sample('m1', t, Math.floor(t / 500) % 2);
      assert.equal(c.state.get('m1')?.shortestPhaseMs, 500);
      const restored = (): EdgeCounter => new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, gapWarnMs: 10_000 }, JSON.parse(JSON.stringify(c.toJSON())));
      const crashed = restored().sample('m1', 5000, 0);
      assert.deepEqual(crashed.warnings.map((w) => w.kind), ['gap'], '3 s down could hold a whole 500 ms pulse');
      const deployed = restored();
      assert.deepEqual(deployed.sample('m1', 2300, 0).warnings, [], 'a 300 ms deploy could not');
      assert.deepEqual(deployed.sample('m1', 5000, 0).warnings, [], 'only the first sample after the restart is judged so');
      // slow pulses (3 s phases): a 2 s crash pause hides none, but is still reported; 0.8 s is not
      const slow = counter({ gapWarnMs: 10_000 });
      for (let t = 0; t <= 12_000; t += 100) slow.sample('m1', t, Math.floor(t / 3000) % 2);
      const slowRestored = (): EdgeCounter => new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, gapWarnMs: 10_000 }, JSON.parse(JSON.stringify(slow.toJSON())));
      assert.deepEqual(slowRestored().sample('m1', 14_000, 0).warnings.map((w) => w.kind), ['gap']);
      assert.deepEqual(slowRestored().sample('m1', 12_800, 0).warnings, []);
      const registers = new EdgeCounter({ ...EDGE_COUNTER_DEFAULTS, mode: 'counter', gapWarnMs: 10_000 }, { m1: { ...JSON.parse(JSON.stringify(c.toJSON())).m1, counter: 7 } });
      assert.deepEqual(registers.sample('m1', 5000, 9).warnings, [], 'a counter counts across the pause');
    });

    it('no good sample for longer than the threshold is a gap too', () => {
      const c = counter({ gapWarnMs: 10_000 });
      c.sample('m1', 0, 0);
      assert.deepEqual(c.gapsAt(10_000), []);
      assert.deepEqual(c.gapsAt(12_000), [{ key: 'm1', since: 0, ageMs: 12_000 }]);
    });

    it('never invents or double-counts an edge across a gap', () => {
      const c = counter({ minHighMs: 200 });
      c.sample('m1', 0, 1);
      c.sample('m1', 300, 1);
      c.outage('m1', 400);
      assert.equal(c.sample('m1', 30_000, 1).delta, 0, 'high before and after: the edge before was counted, none invented');
      c.sample('m1', 30_300, 0);
      c.sample('m1', 30_400, 1);
      c.outage('m1', 30_500);
      const after = c.sample('m1', 60_000, 1);
      assert.equal(after.delta, 0, 'a pending (unconfirmed) high does not carry across the gap');
      assert.equal(c.sample('m1', 60_300, 1).delta, 1, 'confirmed after the gap, counted once');
      assert.equal(c.sample('m1', 60_600, 1).total, 1);
    });
  });
});
