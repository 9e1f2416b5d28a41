/** The torture test's ground-truth accounting (pure). */
import assert from 'node:assert/strict';
import { automaticStoppages, classifyPulses, runningMinutesBySlot, slotOf, stoppageMinutesBySlot, type OutageWindow } from './ground-truth';

const MIN = 60_000;

describe('lifecycle ground truth', () => {
  it('pulses overlapping an outage window may be missed; the others must be counted; those before the baseline do not count', () => {
    const pulses = [{ rise: 0, fall: 10 }, { rise: 100, fall: 110 }, { rise: 200, fall: 210 }, { rise: 300, fall: 310 }, { rise: 400 }];
    const window: OutageWindow = { kind: 'node-red-down', label: 'kill', start: 205, end: 305 };
    const { counted, mustCount, exempt } = classifyPulses(pulses, [window], 50);
    assert.equal(counted.length, 4);
    assert.equal(mustCount, 2, 'the pulses at 100 and 400 (still high) lie outside the window');
    assert.deepEqual(exempt.get(window), [{ rise: 200, fall: 210 }, { rise: 300, fall: 310 }]);
  });

  it('hour slots: the UTC date on which the plant hour starts, and its local number', () => {
    // 00:10 in Kolkata on 16 March is 18:40Z on 15 March: hour 0 starts on the UTC date 2026-03-15.
    assert.deepEqual(slotOf(Date.parse('2026-03-15T18:40:05.250Z'), 'Asia/Kolkata'),
      { date: '2026-03-15', hour: 0, start: Date.parse('2026-03-15T18:30:00.000Z') });
    assert.deepEqual(slotOf(Date.parse('2026-03-15T18:29:59.999Z'), 'Asia/Kolkata'),
      { date: '2026-03-15', hour: 23, start: Date.parse('2026-03-15T17:30:00.000Z') });
  });

  it('running minutes: every minute touched by a cycle seen within the timeout; stoppages from the timeout to the next unit', () => {
    const t0 = Date.parse('2026-03-15T18:31:00.000Z');
    const pulses = [{ rise: t0 + 10_000, fall: t0 + 12_000 }, { rise: t0 + 5 * MIN, fall: t0 + 5 * MIN + 2000 }];
    const options = { cycleTimeoutMs: MIN, from: t0, until: t0 + 6 * MIN, shift: 0, timeZone: 'Asia/Kolkata' };
    // 18:31:10 .. 18:32:12 touches minutes 31 and 32; 18:36:00 .. (until 18:37:00) touches 36.
    assert.deepEqual([...runningMinutesBySlot(pulses, options)], [['2026-03-15/0', 3]]);
    assert.deepEqual(automaticStoppages(pulses, options), [{ start: t0 + 72_000, end: t0 + 5 * MIN }]);
  });

  it('stoppage minutes: whole minutes per stoppage (rounded down, as the application stores durations), split at hour boundaries, capped at 60', () => {
    // The simulator's clock runs 5 s behind the plant's; the plant is in St. John's (UTC-03:30), plant midnight is 03:30Z.
    const shift = 5000;
    const plant = (iso: string): number => Date.parse(iso) - shift;
    const options = { shift, timeZone: 'America/St_Johns' };
    // Two standstills of 45 s and 35 s in plant hour 0: each lasts 0 whole minutes, so the hour has 0 (not 1.3).
    assert.deepEqual([...stoppageMinutesBySlot([
      { start: plant('2026-02-16T03:31:15.000Z'), end: plant('2026-02-16T03:32:00.000Z') },
      { start: plant('2026-02-16T03:33:20.000Z'), end: plant('2026-02-16T03:33:55.000Z') },
    ], options)], [['2026-02-16/0', 0]]);
    // Across plant midnight: 9.5 min in hour 23 (of the UTC date it starts on) and 11.2 min in hour 0.
    assert.deepEqual([...stoppageMinutesBySlot([{ start: plant('2026-02-16T03:20:30.000Z'), end: plant('2026-02-16T03:41:10.000Z') }], options)],
      [['2026-02-16/23', 9], ['2026-02-16/0', 11]]);
    // An operator's stoppage adds its minutes; the hour holds at most 60.
    assert.deepEqual([...stoppageMinutesBySlot([{ start: plant('2026-02-16T03:35:00.000Z'), end: plant('2026-02-16T04:25:30.000Z') }],
      { ...options, entered: [['2026-02-16/0', 15], ['2026-02-16/1', 10]] })], [['2026-02-16/0', 60], ['2026-02-16/1', 10]]);
  });
});
