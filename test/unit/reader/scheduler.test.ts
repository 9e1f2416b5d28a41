import assert from 'node:assert/strict';
import { nextPhase, Scheduler } from '../../../lib/reader/scheduler';
import { ManualClock } from '../../helpers/manual-clock';

/** Stops the scheduler, letting the clock run so a cycle in flight can finish. */
async function stopWith(s: Scheduler<unknown>, clock: ManualClock): Promise<void> {
  const stopped = s.stop();
  await clock.advance(10_000);
  await stopped;
}

describe('reader scheduler', () => {
  it('runs each group at anchor + k * interval, without drift from slow timers', async () => {
    const clock = new ManualClock();
    const anchor = clock.now();
    const starts: number[] = [];
    const s = new Scheduler([{ id: 'a', intervalMs: 100 }], async () => {
      starts.push(clock.now() - anchor);
      await clock.sleep(7); // each read takes 7 ms; the next start must still be on the grid
    }, async () => undefined, clock);
    s.start();
    await clock.advance(1000);
    await stopWith(s, clock);
    assert.deepEqual(starts, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    assert.equal(s.stats('a')!.overruns, 0);
    assert.equal(s.stats('a')!.lastDurationMs, 7);
  });

  it('never overlaps a group: a long cycle skips the missed slots and counts one overrun', async () => {
    const clock = new ManualClock();
    const anchor = clock.now();
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    const durations = [10, 250, 10, 10];
    const s = new Scheduler([{ id: 'a', intervalMs: 100 }], async () => {
      starts.push(clock.now() - anchor);
      active++;
      maxActive = Math.max(maxActive, active);
      await clock.sleep(durations[starts.length - 1] ?? 10);
      active--;
    }, async () => undefined, clock);
    s.start();
    await clock.advance(450);
    await s.stop();
    // slot 1 (100) runs until 350: slots 200 and 300 are skipped, the next start is 400
    assert.deepEqual(starts, [0, 100, 400]);
    assert.equal(maxActive, 1);
    const stats = s.stats('a')!;
    assert.equal(stats.overruns, 1);
    assert.equal(stats.skippedSlots, 2);
  });

  it('a cycle that ends exactly on the next slot is not an overrun', async () => {
    const clock = new ManualClock();
    const anchor = clock.now();
    const starts: number[] = [];
    const s = new Scheduler([{ id: 'a', intervalMs: 50 }], async () => {
      starts.push(clock.now() - anchor);
      await clock.sleep(50);
    }, async () => undefined, clock);
    s.start();
    await clock.advance(160);
    await stopWith(s, clock);
    assert.deepEqual(starts, [0, 50, 100, 150]);
    assert.equal(s.stats('a')!.overruns, 0);
  });

  it('keeps groups independent: a fast group is not held up by a slow one', async () => {
    const clock = new ManualClock();
    const runs: Record<string, number> = { fast: 0, slow: 0 };
    const s = new Scheduler([{ id: 'fast', intervalMs: 10 }, { id: 'slow', intervalMs: 1000 }], async (id) => {
      runs[id]++;
      await clock.sleep(id === 'slow' ? 300 : 1);
    }, async () => undefined, clock);
    s.start();
    await clock.advance(995);
    await s.stop();
    assert.equal(runs.slow, 1);
    assert.equal(runs.fast, 100);
  });

  it('trigger reads at once and returns its result; a burst while one runs shares one follow-up read', async () => {
    const clock = new ManualClock();
    let triggered = 0;
    const s = new Scheduler<number>([{ id: 'a', intervalMs: 5000 }], async () => undefined, async () => {
      triggered++;
      const n = triggered;
      await clock.sleep(20);
      return n;
    }, clock);
    s.start();
    const first = s.trigger();
    const second = s.trigger();
    const third = s.trigger();
    await clock.advance(100);
    assert.equal(await first, 1);
    assert.equal(await second, 2);
    assert.equal(await third, 2);
    assert.equal(triggered, 2);
    await s.stop();
    assert.equal(await s.trigger(), undefined);
    assert.equal(triggered, 2);
  });

  it('stop cancels the schedule and waits for the running cycle', async () => {
    const clock = new ManualClock();
    let finished = false;
    let runs = 0;
    const s = new Scheduler([{ id: 'a', intervalMs: 100 }], async () => {
      runs++;
      await clock.sleep(30);
      finished = true;
    }, async () => undefined, clock);
    s.start();
    await clock.advance(10);
    const stopped = s.stop();
    await clock.advance(30);
    await stopped;
    assert.equal(finished, true);
    await clock.advance(1000);
    assert.equal(runs, 1);
  });

  it('counts a rejected cycle as finished and keeps scheduling', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const s = new Scheduler([{ id: 'a', intervalMs: 100 }], async () => {
      runs++;
      throw new Error('boom');
    }, async () => undefined, clock);
    s.start();
    await clock.advance(250);
    await s.stop();
    assert.equal(runs, 3);
  });

  it('with a phase, runs the first cycle at start, the second phase × interval later, then one per interval', async () => {
    const clock = new ManualClock();
    const anchor = clock.now();
    const starts: number[] = [];
    const durations = [5, 5, 5, 130, 5];
    const s = new Scheduler([{ id: 'a', intervalMs: 100 }], async () => {
      starts.push(clock.now() - anchor);
      await clock.sleep(durations[starts.length - 1] ?? 5);
    }, async () => undefined, clock, 0.25);
    s.start();
    await clock.advance(600);
    await stopWith(s, clock);
    // the cycle at 225 ran 130 ms, past 325: that slot is skipped, the grid stays where it was
    assert.deepEqual(starts.slice(0, 6), [0, 25, 125, 225, 425, 525]);
    assert.equal(s.stats('a')!.overruns, 1);
    assert.equal(s.stats('a')!.skippedSlots, 1);
  });

  it('spreads the phases it gives out evenly over the interval', () => {
    const phases = Array.from({ length: 50 }, () => nextPhase());
    for (const p of phases) assert.ok(p > 0 && p <= 1, `phase ${p} in (0, 1]`);
    const sorted = [...phases].sort((a, b) => a - b);
    const widestGap = Math.max(...sorted.slice(1).map((p, i) => p - sorted[i]), sorted[0] + 1 - sorted.at(-1)!);
    // 50 phases evenly spread would leave gaps of 0.02; the golden-ratio sequence stays within 3× that
    assert.ok(widestGap < 0.06, `widest gap ${widestGap}`);
  });

  it('refuses a phase outside (0, 1]', () => {
    for (const phase of [0, -0.5, 1.5, Number.NaN]) {
      assert.throws(() => new Scheduler([{ id: 'a', intervalMs: 100 }], async () => undefined, async () => undefined, new ManualClock(), phase), /schedule phase must be in \(0, 1\]/);
    }
  });

  it('rejects an interval that is not positive, naming the group', () => {
    assert.throws(() => new Scheduler([{ id: 'g1', intervalMs: 0 }], async () => undefined, async () => undefined),
      /group "g1": interval must be a positive number/);
  });
});
