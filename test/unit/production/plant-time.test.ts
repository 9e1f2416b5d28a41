import assert from 'node:assert/strict';
import { HOUR_MS, PlantZone } from '../../../lib/production/plant-time';

const at = (iso: string) => Date.parse(iso);

const localDate = (zone: PlantZone, t: number): string => new Date(t + zone.offsetMs(t)).toISOString().slice(0, 10);

/** Labels of the plant-local day's hours, walking real hours from local midnight until the local date changes. */
function dayHours(zone: PlantZone, localMidnightUtc: string): { start: string; hour: number }[] {
  const first = at(localMidnightUtc);
  const date = localDate(zone, first);
  const hours = [];
  for (let start = first; localDate(zone, start) === date; start += HOUR_MS) {
    assert.equal(zone.hourStart(start + 59 * 60_000), start, 'every hour is 60 real minutes');
    hours.push({ start: new Date(start).toISOString(), hour: zone.label(start).hour });
  }
  return hours;
}

describe('production/plant-time', () => {
  it('labels an ordinary day with 24 hours', () => {
    const zone = new PlantZone('Europe/Berlin');
    const hours = dayHours(zone, '2026-06-14T22:00:00.000Z');
    assert.deepEqual(hours.map((h) => h.hour), Array.from({ length: 24 }, (_, i) => i));
    // The day document is the one of the UTC date on which the hour starts.
    assert.deepEqual(zone.label(at('2026-06-14T22:00:00Z')), { date: '2026-06-14', hour: 0 });
    assert.deepEqual(zone.label(at('2026-06-15T00:00:00Z')), { date: '2026-06-15', hour: 2 });
  });

  it("dates an hour by the UTC date it starts on, as the application's \"today\" does", () => {
    // 23:43 in St. John's is 03:13 UTC: the current hour is in the document of the UTC date.
    const zone = new PlantZone('America/St_Johns');
    const start = zone.hourStart(at('2026-07-16T02:13:00Z'));
    assert.equal(new Date(start).toISOString(), '2026-07-16T01:30:00.000Z');
    assert.deepEqual(zone.label(start), { date: '2026-07-16', hour: 23 });
    assert.deepEqual(zone.hourStartsOf('2026-07-16', 23), [start]);
    // Documents of older versions were dated by the plant-local date.
    assert.deepEqual(zone.plantDatedHourStartsOf('2026-07-15', 23), [start]);
  });

  it('Europe/Berlin spring forward: 23 hours, no hour 2', () => {
    const zone = new PlantZone('Europe/Berlin');
    const hours = dayHours(zone, '2026-03-28T23:00:00.000Z');
    assert.equal(hours.length, 23);
    assert.deepEqual(hours.slice(0, 4), [
      { start: '2026-03-28T23:00:00.000Z', hour: 0 },
      { start: '2026-03-29T00:00:00.000Z', hour: 1 },
      { start: '2026-03-29T01:00:00.000Z', hour: 3 },
      { start: '2026-03-29T02:00:00.000Z', hour: 4 },
    ]);
    assert.equal(zone.hourStart(at('2026-03-29T00:59:59.999Z')), at('2026-03-29T00:00:00Z'));
    assert.equal(zone.hourStart(at('2026-03-29T01:00:00.000Z')), at('2026-03-29T01:00:00Z'));
  });

  it('Europe/Berlin fall back: 25 hours, two distinct hours labelled 2', () => {
    const zone = new PlantZone('Europe/Berlin');
    const hours = dayHours(zone, '2026-10-24T22:00:00.000Z');
    assert.equal(hours.length, 25);
    assert.deepEqual(hours.slice(2, 5), [
      { start: '2026-10-25T00:00:00.000Z', hour: 2 },
      { start: '2026-10-25T01:00:00.000Z', hour: 2 },
      { start: '2026-10-25T02:00:00.000Z', hour: 3 },
    ]);
    assert.equal(zone.sameLabel(at('2026-10-25T00:00:00Z'), at('2026-10-25T01:00:00Z')), true);
    assert.equal(zone.sameLabel(at('2026-10-25T01:00:00Z'), at('2026-10-25T02:00:00Z')), false);
    assert.equal(zone.hourStart(at('2026-10-25T00:30:00Z')), at('2026-10-25T00:00:00Z'));
    assert.equal(zone.hourStart(at('2026-10-25T01:30:00Z')), at('2026-10-25T01:00:00Z'));
  });

  it('America/New_York spring forward: 23 hours, no hour 2', () => {
    const zone = new PlantZone('America/New_York');
    const hours = dayHours(zone, '2026-03-08T05:00:00.000Z');
    assert.equal(hours.length, 23);
    assert.deepEqual(hours.map((h) => h.hour).slice(0, 4), [0, 1, 3, 4]);
    assert.equal(hours[2].start, '2026-03-08T07:00:00.000Z');
  });

  it('America/New_York fall back: hour 1 twice', () => {
    const zone = new PlantZone('America/New_York');
    const hours = dayHours(zone, '2026-11-01T04:00:00.000Z');
    assert.equal(hours.length, 25);
    assert.deepEqual(hours.slice(1, 4), [
      { start: '2026-11-01T05:00:00.000Z', hour: 1 },
      { start: '2026-11-01T06:00:00.000Z', hour: 1 },
      { start: '2026-11-01T07:00:00.000Z', hour: 2 },
    ]);
  });

  it('handles half-hour offsets (Asia/Kolkata)', () => {
    const zone = new PlantZone('Asia/Kolkata');
    assert.equal(zone.hourStart(at('2026-01-01T00:10:00Z')), at('2025-12-31T23:30:00Z'));
    assert.deepEqual(zone.label(at('2025-12-31T23:30:00Z')), { date: '2025-12-31', hour: 5 });
  });

  it('finds the real hours behind a label', () => {
    const berlin = new PlantZone('Europe/Berlin');
    assert.deepEqual(berlin.hourStartsOf('2026-10-25', 2), [at('2026-10-25T00:00:00Z'), at('2026-10-25T01:00:00Z')]);
    assert.deepEqual(berlin.hourStartsOf('2026-03-29', 2), []);
    assert.deepEqual(berlin.hourStartsOf('2026-06-15', 0), [at('2026-06-15T22:00:00Z')]);
    assert.deepEqual(berlin.plantDatedHourStartsOf('2026-06-15', 0), [at('2026-06-14T22:00:00Z')]);
    assert.deepEqual(new PlantZone('Pacific/Kiritimati').hourStartsOf('2026-01-01', 23), [at('2026-01-01T09:00:00Z')]);
  });

  it('rejects an unknown time zone with a clear message', () => {
    assert.throws(() => new PlantZone('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  });
});
