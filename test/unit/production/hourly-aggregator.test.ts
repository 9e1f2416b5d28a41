import assert from 'node:assert/strict';
import { inferStatus } from '../../../lib/production/hourly-aggregator';
import { HOUR_MS, MINUTE_MS } from '../../../lib/production/plant-time';
import { Harness, M1, M2, at, iso } from './aggregator-harness';

describe('production/hourly-aggregator', () => {
  describe('status, the application way', () => {
    it('infers the four states from power and cycle', () => {
      assert.equal(inferStatus(true, true), 'running');
      assert.equal(inferStatus(true, false), 'stoppage');
      assert.equal(inferStatus(false, true), 'stopped_yet_producing');
      assert.equal(inferStatus(false, false), 'inactive');
    });

    it('walks every reachable transition at the exact instants timeouts run out', () => {
      const h = new Harness();
      const t0 = at('2026-06-01T10:00:00Z');
      const feed: [number, 'power' | 'cycle'][] = [[t0 + 2.5 * MINUTE_MS, 'cycle']];
      for (let m = 0; m <= 10; m++) feed.push([t0 + m * MINUTE_MS, 'power']);
      for (let m = 5; m <= 20; m++) feed.push([t0 + m * MINUTE_MS, 'cycle']);
      feed.sort((a, b) => a[0] - b[0]);
      for (const [t, kind] of feed) h[kind](t);
      h.tickUntil(at('2026-06-01T10:30:00Z'));
      h.cycle(at('2026-06-01T10:30:00Z'));
      h.power(at('2026-06-01T10:31:00Z'));
      h.tickUntil(at('2026-06-01T10:40:00Z'));
      h.power(at('2026-06-01T10:40:00Z'));
      h.tickUntil(at('2026-06-01T10:50:00Z'));
      h.power(at('2026-06-01T10:50:00Z')).cycle(at('2026-06-01T10:50:00Z'));
      assert.equal(h.statuses.length, 12, 'the status of an instant is settled once time moves on');
      h.tick(at('2026-06-01T10:50:05Z'));
      assert.deepEqual(h.transitions(), [
        // first seen at 10:00 with power only: a stoppage only once a whole cycle timeout passed without a cycle
        '2026-06-01T10:02:00.000Z ->stoppage',
        '2026-06-01T10:02:30.000Z stoppage>running',
        '2026-06-01T10:04:30.001Z running>stoppage',
        '2026-06-01T10:05:00.000Z stoppage>running',
        '2026-06-01T10:15:00.001Z running>stopped_yet_producing',
        '2026-06-01T10:22:00.001Z stopped_yet_producing>inactive',
        '2026-06-01T10:30:00.000Z inactive>stopped_yet_producing',
        '2026-06-01T10:31:00.000Z stopped_yet_producing>running',
        '2026-06-01T10:32:00.001Z running>stoppage',
        '2026-06-01T10:36:00.001Z stoppage>inactive',
        '2026-06-01T10:40:00.000Z inactive>stoppage',
        '2026-06-01T10:45:00.001Z stoppage>inactive',
        '2026-06-01T10:50:00.000Z inactive>running',
      ]);
      const last = h.statuses.at(-1);
      assert.deepEqual(last, { machineId: M1, status: 'running', previous: 'inactive', hasPower: true, hasCycle: true, timestamp: at('2026-06-01T10:50:00Z') });
    });

    it('no phantom stoppage when first seen with power just before the first cycle', () => {
      const h = new Harness();
      h.power(at('2026-06-01T10:00:00Z')).power(at('2026-06-01T10:00:20Z')).cycle(at('2026-06-01T10:00:40Z'));
      h.tick(at('2026-06-01T10:01:00Z'));
      assert.deepEqual(h.transitions(), ['2026-06-01T10:00:40.000Z ->running']);
      assert.deepEqual(h.current('2026-06-01', 10)?.stoppages, []);
    });

    it('uses timeouts changed at run time', () => {
      const h = new Harness();
      h.agg.setTimeouts(60_000, 30_000);
      h.power(at('2026-06-01T10:00:00Z')).cycle(at('2026-06-01T10:00:00Z'));
      h.tickUntil(at('2026-06-01T10:02:00Z'));
      assert.deepEqual(h.transitions().slice(1), ['2026-06-01T10:00:30.001Z running>stoppage', '2026-06-01T10:01:00.001Z stoppage>inactive']);
    });
  });

  describe('minutes and stoppages', () => {
    it('counts running minutes and a stoppage exactly as the application rules do', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:20:00Z'), 30_000);
      h.tickUntil(at('2026-06-01T10:40:02Z'));
      const hour = h.current('2026-06-01', 10);
      assert.ok(hour);
      assert.equal(hour.unitsProduced, 41);
      // running from 10:00:00 through 10:22:00.000 (last cycle + 2 min): the wall-clock minutes 10:00..10:22.
      assert.equal(hour.runningMinutes, 23);
      assert.deepEqual(hour.stoppages, [{ startTime: at('2026-06-01T10:22:00.001Z'), endTime: null, duration: 17, isPending: true }]);
      assert.equal(hour.stoppageMinutes, 17);
      assert.equal(hour.status, 'stoppage');
      assert.equal(hour.lastActivityTime, at('2026-06-01T10:20:00Z'));
      // The next unit ends the stoppage, even though power went away meanwhile.
      h.units(at('2026-06-01T10:50:00Z')).tick(at('2026-06-01T10:50:05Z'));
      const after = h.current('2026-06-01', 10);
      assert.deepEqual(after?.stoppages, [{ startTime: at('2026-06-01T10:22:00.001Z'), endTime: at('2026-06-01T10:50:00Z'), duration: 27, isPending: false }]);
      assert.equal(after?.status, 'running', 'a unit paints the hour running, as in the application');
    });

    it('can end a stoppage when power goes away instead', () => {
      const h = new Harness({ endStoppageOnPowerLoss: true });
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:20:00Z'), 30_000);
      h.tickUntil(at('2026-06-01T10:40:02Z'));
      assert.deepEqual(h.current('2026-06-01', 10)?.stoppages, [
        { startTime: at('2026-06-01T10:22:00.001Z'), endTime: at('2026-06-01T10:25:00.001Z'), duration: 3, isPending: false },
      ]);
    });

    it('a minute counts once even if running only for a moment in it, and never beyond 60', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T09:59:00Z'), at('2026-06-01T11:00:30Z'), 10_000);
      h.tickUntil(at('2026-06-01T11:10:00Z'));
      assert.equal(h.current('2026-06-01', 10)?.runningMinutes, 60);
      assert.equal(h.current('2026-06-01', 9)?.runningMinutes, 1);
      // cycles until 11:00:30 -> running until 11:02:30 -> minutes 11:00, 11:01, 11:02.
      assert.equal(h.current('2026-06-01', 11)?.runningMinutes, 3);
    });

    it('splits a stoppage at the hour boundary so each hour holds its part', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T10:30:00Z'), at('2026-06-01T10:40:00Z'), 60_000);
      // cycles stop at 10:40 -> stoppage from 10:42:00.001; power continues.
      for (let t = at('2026-06-01T10:41:00Z'); t <= at('2026-06-01T11:15:00Z'); t += 60_000) h.power(t);
      h.units(at('2026-06-01T11:10:00Z'));
      const h10 = h.current('2026-06-01', 10);
      const h11 = h.current('2026-06-01', 11);
      assert.deepEqual(h10?.stoppages, [{ startTime: at('2026-06-01T10:42:00.001Z'), endTime: at('2026-06-01T11:00:00Z'), duration: 17, isPending: false }]);
      assert.equal(h10?.stoppageMinutes, 17);
      assert.deepEqual(h11?.stoppages, [{ startTime: at('2026-06-01T11:00:00Z'), endTime: at('2026-06-01T11:10:00Z'), duration: 10, isPending: false }]);
      assert.equal(h11?.stoppageMinutes, 10);
      assert.equal(h11?.unitsProduced, 1);
    });

    it('counts each stoppage in whole minutes, rounded down, as the application does: two standstills under a minute make 0', () => {
      // lathe-2 of the lifecycle torture test, in plant hour 0 of St. John's (plant midnight 03:30Z): a unit every 5 s, cycle timeout 1 min.
      const h = new Harness({ timeZone: 'America/St_Johns', cycleTimeoutMs: MINUTE_MS });
      h.produce(at('2026-02-16T03:29:00Z'), at('2026-02-16T03:30:15Z'), 5000);
      for (let t = at('2026-02-16T03:30:20Z'); t < at('2026-02-16T03:32:00Z'); t += 5000) h.power(t).tick(t);
      h.produce(at('2026-02-16T03:32:00Z'), at('2026-02-16T03:32:20Z'), 5000);
      for (let t = at('2026-02-16T03:32:25Z'); t <= at('2026-02-16T03:34:00Z'); t += 5000) h.power(t).tick(t);
      const hour = h.current('2026-02-16', 0);
      // 03:31:15.001-03:32:00 (45 s) and 03:33:20.001 to the cursor 03:33:58 (38 s): 0 whole minutes each.
      assert.deepEqual(hour?.stoppages, [
        { startTime: at('2026-02-16T03:31:15.001Z'), endTime: at('2026-02-16T03:32:00Z'), duration: 0, isPending: false },
        { startTime: at('2026-02-16T03:33:20.001Z'), endTime: null, duration: 0, isPending: true },
      ]);
      assert.equal(hour?.stoppageMinutes, 0, 'the sum of the durations, not the rounded sum of the standstills (1.4 min)');
    });

    it('caps stoppage minutes at 60 over a long stoppage', () => {
      const h = new Harness();
      h.power(at('2026-06-01T10:00:00Z'));
      for (let t = at('2026-06-01T10:01:00Z'); t <= at('2026-06-01T13:00:00Z'); t += 60_000) h.power(t);
      h.tickUntil(at('2026-06-01T13:05:00Z'));
      assert.equal(h.current('2026-06-01', 11)?.stoppageMinutes, 60);
      assert.equal(h.current('2026-06-01', 11)?.status, 'stoppage');
      assert.equal(h.current('2026-06-01', 11)?.runningMinutes, 0);
    });
  });

  describe('hours and snapshots', () => {
    it('buckets by event time at the exact hour boundary', () => {
      const h = new Harness();
      h.units(at('2026-06-01T10:59:59.999Z')).units(at('2026-06-01T11:00:00.000Z'), 2);
      assert.equal(h.current('2026-06-01', 10)?.unitsProduced, 1);
      assert.equal(h.current('2026-06-01', 11)?.unitsProduced, 2);
    });

    it('snapshots changed open hours every interval and a final one after the grace period', () => {
      const h = new Harness({ snapshotIntervalMs: 5 * MINUTE_MS, graceMs: 2 * MINUTE_MS });
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:58:00Z'), 60_000);
      assert.equal(h.snapshots.length, 0, 'readings alone do not snapshot open hours');
      h.tick(at('2026-06-01T10:58:30Z'));
      const periodic = h.snapshots.at(-1);
      assert.equal(h.snapshots.length, 1);
      assert.equal(periodic?.final, false);
      assert.equal(periodic?.unitsProduced, 59);
      h.tickUntil(at('2026-06-01T11:02:01Z'), 1000);
      assert.equal(h.snapshots.length, 1, 'next periodic snapshot at 11:03:30; hour 10 not final before 11:02:00 (+ settle)');
      h.tick(at('2026-06-01T11:02:02Z'));
      const final = h.snapshots.at(-1);
      assert.equal(final?.hour, 10);
      assert.equal(final?.final, true);
      assert.ok((final?.revision ?? 0) > (periodic?.revision ?? 0));
      assert.equal(final?.runningMinutes, 60);
    });

    it('late data corrects a final hour with a higher revision instead of being dropped', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:50:00Z'), 60_000);
      h.tickUntil(at('2026-06-01T11:05:00Z'));
      const final = h.latest('2026-06-01', 10);
      assert.equal(final?.final, true);
      assert.equal(final?.unitsProduced, 51);
      h.units(at('2026-06-01T10:30:30Z'), 4);
      h.tickUntil(at('2026-06-01T11:07:00Z'));
      const corrected = h.latest('2026-06-01', 10);
      assert.equal(corrected?.unitsProduced, 55);
      assert.equal(corrected?.final, true);
      assert.ok((corrected?.revision ?? 0) > (final?.revision ?? 0));
      assert.equal(h.snapshots.filter((s) => s.hour === 10 && s.unitsProduced === 55).length, 1, 'one correction, not repeated');
    });

    it('a late cycle ends an open stoppage where it happened', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:10:00Z'), 60_000);
      for (let t = at('2026-06-01T10:11:00Z'); t <= at('2026-06-01T11:20:00Z'); t += 60_000) h.power(t);
      h.units(at('2026-06-01T10:40:00Z')); // late: the cursor is at 11:20
      h.tick(at('2026-06-01T11:20:05Z'));
      assert.deepEqual(h.current('2026-06-01', 10)?.stoppages, [
        { startTime: at('2026-06-01T10:12:00.001Z'), endTime: at('2026-06-01T10:40:00Z'), duration: 27, isPending: false },
      ]);
      assert.equal(h.current('2026-06-01', 10)?.unitsProduced, 12);
      // The status timeline before the cursor is not rewritten: a new stoppage starts at the cursor.
      assert.deepEqual(h.current('2026-06-01', 11)?.stoppages, [{ startTime: at('2026-06-01T11:20:00Z'), endTime: null, duration: 0, isPending: true }]);
    });

    it('a silent machine becomes inactive through ticks alone', () => {
      const h = new Harness();
      h.power(at('2026-06-01T10:00:00Z')).units(at('2026-06-01T10:00:00Z'));
      h.tickUntil(at('2026-06-01T10:10:00Z'));
      assert.deepEqual(h.transitions(), [
        '2026-06-01T10:00:00.000Z ->running',
        '2026-06-01T10:02:00.001Z running>stoppage',
        '2026-06-01T10:05:00.001Z stoppage>inactive',
      ]);
      assert.equal(h.current('2026-06-01', 10)?.runningMinutes, 3);
    });

    it('zero-fills the hours of known machines when asked', () => {
      const h = new Harness({ zeroFill: true });
      h.units(at('2026-06-01T10:15:00Z'));
      h.tickUntil(at('2026-06-01T13:03:00Z'), 60_000);
      const finals = h.snapshots.filter((s) => s.final).map((s) => [s.hour, s.unitsProduced, s.status]);
      assert.deepEqual(finals, [[10, 1, 'running'], [11, 0, 'inactive'], [12, 0, 'inactive']]);
      const plain = new Harness();
      plain.units(at('2026-06-01T10:15:00Z'));
      plain.tickUntil(at('2026-06-01T13:03:00Z'), 60_000);
      assert.deepEqual(plain.snapshots.filter((s) => s.final).map((s) => s.hour), [10]);
    });

    it('keeps machines apart', () => {
      const h = new Harness();
      h.units(at('2026-06-01T10:00:00Z'), 3, M1).units(at('2026-06-01T10:00:00Z'), 5, M2);
      assert.equal(h.current('2026-06-01', 10, M1)?.unitsProduced, 3);
      assert.equal(h.current('2026-06-01', 10, M2)?.unitsProduced, 5);
    });

    it('forgets closed hours after the correction window', () => {
      const h = new Harness({ retainMs: 2 * HOUR_MS });
      h.units(at('2026-06-01T10:15:00Z'));
      h.tickUntil(at('2026-06-01T14:00:00Z'), 60_000);
      assert.ok(h.current('2026-06-01', 10));
      h.tickUntil(at('2026-06-01T14:02:00Z'), 60_000);
      assert.equal(h.current('2026-06-01', 10), undefined);
    });
  });

  describe('daylight saving time', () => {
    it('Europe/Berlin fall back: two hours labelled 2 stay apart and the slot sums them', () => {
      const h = new Harness({ timeZone: 'Europe/Berlin' });
      h.produce(at('2026-10-24T23:30:00Z'), at('2026-10-25T01:59:30Z'), 30_000);
      h.tickUntil(at('2026-10-25T02:10:00Z'), 60_000);
      const held = Object.keys(h.agg.state.machines[M1].buckets).map((k) => iso(Number(k)));
      assert.ok(held.includes('2026-10-25T00:00:00.000Z') && held.includes('2026-10-25T01:00:00.000Z'));
      const slot = h.latest('2026-10-25', 2);
      assert.equal(slot?.unitsProduced, 240, 'both 02:00 hours: 120 units each');
      assert.equal(slot?.runningMinutes, 60, 'capped at 60');
      assert.equal(slot?.final, true);
      // Local 01:00 starts at 23:00Z the day before: it belongs to that UTC date's document.
      assert.equal(h.latest('2026-10-24', 1)?.unitsProduced, 60, '01:30 to 01:59:30 local');
      // The 03:00 hour starts at 02:00Z; running until the last cycle (01:59:30Z) + 2 min.
      assert.equal(h.latest('2026-10-25', 3)?.runningMinutes, 2);
      const slotSnapshots = h.snapshots.filter((s) => s.date === '2026-10-25' && s.hour === 2).map((s) => s.revision);
      assert.deepEqual([...slotSnapshots].sort((a, b) => a - b), slotSnapshots, 'revisions of the slot only grow');
    });

    it('Europe/Berlin spring forward: 23 hourly snapshots, none for hour 2', () => {
      const h = new Harness({ timeZone: 'Europe/Berlin', zeroFill: true });
      h.units(at('2026-03-28T23:00:00Z'));
      h.tickUntil(at('2026-03-29T22:05:00Z'), 60_000);
      // Dated by the UTC date each hour starts on: local 00:00 (23:00Z) is in the day before's document.
      const hours = h.snapshots.filter((s) => s.final && s.date === '2026-03-29').map((s) => s.hour);
      assert.deepEqual(hours, [1, ...Array.from({ length: 21 }, (_, i) => i + 3)]);
      assert.equal(h.latest('2026-03-28', 0)?.final, true);
    });

    it('America/New_York fall back: the two hours labelled 1 are summed', () => {
      const h = new Harness({ timeZone: 'America/New_York' });
      h.units(at('2026-11-01T05:10:00Z'), 5).units(at('2026-11-01T06:10:00Z'), 7);
      assert.equal(h.current('2026-11-01', 1)?.unitsProduced, 12);
      h.tickUntil(at('2026-11-01T07:05:00Z'), 60_000);
      const finals = h.snapshots.filter((s) => s.final && s.hour === 1);
      assert.equal(finals.at(-1)?.unitsProduced, 12);
    });

    it('America/New_York spring forward: units at 03:00 local land in hour 3', () => {
      const h = new Harness({ timeZone: 'America/New_York' });
      h.units(at('2026-03-08T06:59:59Z')).units(at('2026-03-08T07:00:00Z'));
      assert.equal(h.current('2026-03-08', 1)?.unitsProduced, 1);
      assert.equal(h.current('2026-03-08', 3)?.unitsProduced, 1);
      assert.equal(h.current('2026-03-08', 2), undefined);
    });
  });

  describe('power statistics', () => {
    it('min/max/avg and energy by trapezoids, split at the hour', () => {
      const h = new Harness();
      h.power(at('2026-06-01T10:00:00Z'), M1, 10).power(at('2026-06-01T10:30:00Z'), M1, 20);
      assert.deepEqual(h.current('2026-06-01', 10)?.power, { minKw: 10, maxKw: 20, avgKw: 15, energyKwh: 0, samples: 2 }, 'samples 30 min apart (beyond the power timeout) are not integrated');
      const g = new Harness();
      for (let m = 0; m <= 90; m++) g.power(at('2026-06-01T10:00:00Z') + m * MINUTE_MS, M1, m < 60 ? 12 : 6);
      const p10 = g.current('2026-06-01', 10)?.power;
      const p11 = g.current('2026-06-01', 11)?.power;
      // 59 minutes at 12 kW, then the trapezoid 10:59 (12 kW) -> 11:00 (6 kW), which ends at the boundary.
      assert.ok(p10 && Math.abs(p10.energyKwh - (12 * (59 / 60) + 9 / 60)) < 1e-9, `got ${p10?.energyKwh}`);
      assert.equal(p10?.samples, 60);
      assert.equal(p10?.avgKw, 12);
      assert.ok(p11 && Math.abs(p11.energyKwh - 6 * (30 / 60)) < 1e-9, `got ${p11?.energyKwh}`);
      assert.equal(p11?.minKw, 6);
      assert.equal(p11?.maxKw, 6);
      const split = new Harness();
      split.power(at('2026-06-01T10:59:30Z'), M1, 10).power(at('2026-06-01T11:00:30Z'), M1, 20);
      // interpolated 15 kW at 11:00: (10+15)/2 over 30 s and (15+20)/2 over 30 s.
      assert.ok(Math.abs((split.current('2026-06-01', 10)?.power?.energyKwh ?? 0) - 12.5 / 120) < 1e-12);
      assert.ok(Math.abs((split.current('2026-06-01', 11)?.power?.energyKwh ?? 0) - 17.5 / 120) < 1e-12);
    });
  });

  describe('state', () => {
    it('restarts mid-hour from exported state without losing or double counting', () => {
      const h = new Harness();
      h.produce(at('2026-06-01T10:00:00Z'), at('2026-06-01T10:29:00Z'), 60_000);
      h.tick(at('2026-06-01T10:29:30Z'));
      const saved = JSON.parse(JSON.stringify(h.agg.state));
      const before = h.snapshots.at(-1);
      const r = new Harness({}, saved);
      r.now = at('2026-06-01T10:29:45Z');
      r.produce(at('2026-06-01T10:30:00Z'), at('2026-06-01T10:59:00Z'), 60_000);
      r.tickUntil(at('2026-06-01T11:03:00Z'));
      const final = r.latest('2026-06-01', 10);
      assert.equal(final?.unitsProduced, 60);
      assert.equal(final?.runningMinutes, 60);
      assert.ok((final?.revision ?? 0) > (before?.revision ?? 0));
      assert.deepEqual(r.transitions(), ['2026-06-01T11:01:00.001Z running>stoppage'], 'status continues: no fresh "running"');
    });

    describe("unit events with the counter's running total (a crash saves the counter and the aggregator at different instants)", () => {
      const T = at('2026-06-01T10:00:00Z');
      const units = (h: Harness, t: number, delta: number, total: number, counter = 'ec1|m1'): void => {
        h.now = Math.max(h.now, t);
        h.agg.observe({ kind: 'units', machineId: M1, timestamp: t, delta, counter, total });
      };
      /** The aggregator as restarted from its saved state. */
      const restarted = (h: Harness): Harness => {
        const r = new Harness({}, JSON.parse(JSON.stringify(h.agg.state)));
        r.now = h.now;
        return r;
      };

      it('units the counter re-sends (its saved state was older) are counted once', () => {
        const h = new Harness();
        for (let total = 1; total <= 5; total++) units(h, T + total * 1000, 1, total);
        const r = restarted(h);
        // the counter restarted from its state at total 3: it counts units 4 and 5 again, then 6
        units(r, T + 7000, 1, 4);
        units(r, T + 8000, 1, 5);
        units(r, T + 9000, 1, 6);
        assert.equal(r.current('2026-06-01', 10)?.unitsProduced, 6);
      });

      it('units whose events this aggregator lost (its saved state was older) are counted from the total', () => {
        const h = new Harness();
        for (let total = 1; total <= 3; total++) units(h, T + total * 1000, 1, total);
        const r = restarted(h);
        // events for totals 4 and 5 were sent after the aggregator's last save: lost with the crash
        units(r, T + 9000, 1, 6);
        assert.equal(r.current('2026-06-01', 10)?.unitsProduced, 6);
      });

      it('a counter started again from zero (msg.reset) counts its deltas; other counters and plain events are apart', () => {
        const h = new Harness();
        units(h, T + 1000, 1, 40);
        units(h, T + 2000, 2, 2);
        units(h, T + 3000, 1, 3);
        units(h, T + 4000, 1, 7, 'ec2|m1');
        h.units(T + 5000, 2);
        assert.equal(h.current('2026-06-01', 10)?.unitsProduced, 1 + 2 + 1 + 1 + 2);
      });
    });
  });
});

describe('production/hourly-aggregator with machine ids that name Object.prototype members', () => {
  it('keeps "__proto__" and "constructor" as machines of their own, also in restored state', () => {
    const h = new Harness();
    h.units(at('2026-06-01T10:05:00Z'), 2, '__proto__').units(at('2026-06-01T10:06:00Z'), 3, 'constructor');
    assert.equal(h.current('2026-06-01', 10, '__proto__')?.unitsProduced, 2);
    assert.equal(h.current('2026-06-01', 10, 'constructor')?.unitsProduced, 3);
    assert.equal(Object.getPrototypeOf({}), Object.prototype, 'nothing reached the prototype');
    const restored = new Harness({}, JSON.parse(JSON.stringify(h.agg.state)));
    restored.now = at('2026-06-01T10:07:00Z');
    assert.deepEqual(restored.agg.snapshotsOf().map((s) => [s.machineId, s.unitsProduced]), [['__proto__', 2], ['constructor', 3]]);
    assert.equal(restored.agg.machineCount, 2);
  });
});

describe('production/hourly-aggregator sessions', () => {
  it('marks a stoppage opened before the session saw a cycle: the standstill may have begun before the start', () => {
    const h = new Harness();
    h.power(at('2026-06-01T10:00:00Z')).tick(at('2026-06-01T10:04:00Z'));
    assert.deepEqual(h.current('2026-06-01', 10)?.stoppages.map((s) => s.unknownStart), [true]);
    h.units(at('2026-06-01T10:05:00Z')).power(at('2026-06-01T10:06:00Z')).tick(at('2026-06-01T10:10:00Z'));
    assert.deepEqual(h.current('2026-06-01', 10)?.stoppages.map((s) => s.unknownStart), [true, undefined], 'one seen to begin after a cycle is not');
  });

  it('a restart is a new session: the earlier session\'s units are carried, its own start at zero', () => {
    const h = new Harness();
    h.units(at('2026-06-01T10:05:00Z'), 4);
    const before = h.current('2026-06-01', 10)!;
    assert.deepEqual(before.tally, { base: 0, sessions: [{ id: h.agg.session, units: 4 }] });
    const r = new Harness({}, JSON.parse(JSON.stringify(h.agg.state)));
    r.now = at('2026-06-01T10:06:00Z');
    r.units(at('2026-06-01T10:06:00Z'), 1);
    const after = r.current('2026-06-01', 10)!;
    assert.notEqual(r.agg.session, h.agg.session);
    assert.equal(after.unitsProduced, 5);
    assert.deepEqual(after.tally, { base: 0, sessions: [{ id: r.agg.session, units: 1 }, { id: h.agg.session, units: 4 }] });
    assert.equal(after.session, r.agg.session);
  });

  it('state saved by an older version (no session): its units become the base', () => {
    const h = new Harness();
    h.units(at('2026-06-01T10:05:00Z'), 4);
    const legacy = JSON.parse(JSON.stringify(h.agg.state));
    delete legacy.session;
    const r = new Harness({}, legacy);
    r.now = at('2026-06-01T10:06:00Z');
    assert.deepEqual(r.current('2026-06-01', 10)?.tally, { base: 4, sessions: [{ id: r.agg.session, units: 0 }] });
  });

  it('re-sends every open hour after a start, with a fresh revision', () => {
    const h = new Harness();
    h.now = at('2026-06-01T10:20:00Z');
    h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 10, plantDated: false, tally: { base: 0, sessions: [{ id: 'earlier', units: 7 }] }, runMasks: [{ start: at('2026-06-01T10:00:00Z'), bits: [0b111, 0] }], minutes: 3, status: 'running', revision: 50, stoppages: [] });
    h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 8, plantDated: false, tally: { base: 1, sessions: [] }, runMasks: [], minutes: 0, status: 'running', revision: 40, stoppages: [] });
    const open = h.agg.openSnapshots();
    assert.deepEqual(open.map((s) => [s.hour, s.unitsProduced, s.runningMinutes]), [[10, 7, 3]], 'the closed hour 8 is not re-sent');
    assert.ok(open[0].revision > 50);
    assert.deepEqual(open[0].runMasks, [{ start: at('2026-06-01T10:00:00Z'), bits: [0b111, 0] }], 'exact minute bits from the ledger');
  });
});

describe('production/hourly-aggregator taking over stored hours', () => {
  it('continues an hour read back from the database: units, minutes, the open stoppage', () => {
    const h = new Harness();
    h.now = at('2026-06-01T10:20:30Z');
    const taken = h.agg.seedHour({
      machineId: M1, date: '2026-06-01', hour: 10, plantDated: false, tally: { base: 40, sessions: [] }, runMasks: [], minutes: 12, status: 'stoppage', revision: 77,
      stoppages: [{ startTime: at('2026-06-01T10:05:00Z'), endTime: at('2026-06-01T10:07:00Z') }, { startTime: at('2026-06-01T10:18:00Z'), endTime: null }],
    });
    assert.equal(taken, true);
    assert.equal(h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 10, plantDated: false, tally: { base: 1, sessions: [] }, runMasks: [], minutes: 0, status: 'running', revision: 0, stoppages: [] }), false, 'held hours are not overwritten');
    h.power(at('2026-06-01T10:21:00Z')).units(at('2026-06-01T10:21:00Z'), 2).tick(at('2026-06-01T10:21:10Z'));
    const hour = h.current('2026-06-01', 10);
    assert.equal(hour?.unitsProduced, 42);
    // minutes 10:09..10:20 taken over, 10:21 running now
    assert.equal(hour?.runningMinutes, 13);
    assert.deepEqual(hour?.stoppages.map((s) => [iso(s.startTime), iso(s.endTime)]), [
      ['2026-06-01T10:05:00.000Z', '2026-06-01T10:07:00.000Z'],
      ['2026-06-01T10:18:00.000Z', '2026-06-01T10:21:00.000Z'],
    ]);
    h.tick(at('2026-06-01T10:23:00Z'));
    assert.ok((h.latest('2026-06-01', 10)?.revision ?? 0) > 77);
  });

  it("re-sends an hour an older version filed under its plant-local date, dated by the UTC date it starts on", () => {
    const h = new Harness({ timeZone: 'Europe/Berlin' });
    h.now = at('2026-06-01T10:00:00Z');
    // Local 00:00 of 06-01 (22:00Z on 05-31), closed, in the older version's document of 06-01.
    assert.equal(h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 0, plantDated: true, tally: { base: 9, sessions: [] }, runMasks: [], minutes: 20, status: 'running', revision: 5, stoppages: [] }), true);
    // Local 05:00 of 06-01 starts on 06-01 UTC too: nothing to re-file.
    h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 5, plantDated: true, tally: { base: 2, sessions: [] }, runMasks: [], minutes: 0, status: 'running', revision: 5, stoppages: [] });
    assert.deepEqual(h.agg.openSnapshots().map((s) => [s.date, s.hour, s.unitsProduced, s.final]), [['2026-05-31', 0, 9, true]]);
  });

  it('an open stoppage of an earlier hour continues through the hours since', () => {
    const h = new Harness();
    h.now = at('2026-06-01T12:10:00Z');
    h.agg.seedHour({ machineId: M1, date: '2026-06-01', hour: 10, plantDated: false, tally: { base: 0, sessions: [] }, runMasks: [], minutes: 0, status: 'stoppage', revision: 1, stoppages: [{ startTime: at('2026-06-01T10:50:00Z'), endTime: null }] });
    h.units(at('2026-06-01T12:15:00Z'));
    assert.deepEqual(h.current('2026-06-01', 10)?.stoppages.map((s) => s.duration), [10]);
    assert.deepEqual(h.current('2026-06-01', 11)?.stoppages.map((s) => s.duration), [60]);
    assert.deepEqual(h.current('2026-06-01', 12)?.stoppages.map((s) => [s.duration, s.isPending]), [[15, false]]);
    assert.equal(h.agg.seedHour({ machineId: M2, date: '2026-05-01', hour: 10, plantDated: false, tally: { base: 1, sessions: [] }, runMasks: [], minutes: 0, status: 'running', revision: 0, stoppages: [] }), false, 'beyond the correction window');
  });
});
