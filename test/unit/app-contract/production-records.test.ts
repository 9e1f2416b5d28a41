import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ObjectId } from 'mongodb';
import {
  LEDGER_FIELD,
  dayStart,
  isClassifiedStoppage,
  mergeSnapshots,
  validateSnapshot,
  type AutoStoppage,
  type HourSnapshot,
  type ValidSnapshot,
} from '../../../lib/app-contract';
import { addOperatorStoppage, assignProduction, classifyStoppage, unclassifiedCount } from '../../helpers/application-edits';

type Doc = Record<string, unknown>;

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const bson = { objectId: (hex?: string) => new ObjectId(hex) };
const newId = () => new ObjectId();
const T0 = Date.parse('2026-03-10T08:00:00Z');
const MIN = 60_000;

/** A snapshot of hour 8 (UTC plant) from `session`; `units` is the session's own count. */
function snap(over: Partial<HourSnapshot> = {}): ValidSnapshot {
  const session = over.session ?? 'A';
  const units = over.unitsProduced ?? 10;
  return validateSnapshot({
    machineId: M, date: '2026-03-10', hour: 8, unitsProduced: units, runningMinutes: 20, stoppageMinutes: 5, status: 'running',
    stoppages: [{ startTime: T0 + MIN, endTime: T0 + 6 * MIN, duration: 5, isPending: false }],
    lastActivityTime: T0 + 20 * MIN, final: false, revision: 1, session, tally: { base: 0, sessions: [{ id: session, units }] }, runMasks: [{ start: T0, bits: [0xfffff, 0] }],
    ...over,
  });
}

/** The document after a merge (what the writer's upsert or $set leaves). */
function apply(doc: Doc | null, snapshots: ValidSnapshot[], now = new Date(T0 + 30 * MIN)): Doc {
  const r = mergeSnapshots(doc, snapshots, bson, now);
  if (!r.changed) return doc!;
  if (r.insert) return { _id: new ObjectId(), machineId: new ObjectId(M), startTime: dayStart('2026-03-10'), ...r.insert };
  return { ...doc, ...r.set };
}

const hour8 = (doc: Doc): Doc => (doc.hourlyData as Doc[]).find((h) => h.hour === 8)!;
const stoppagesOf = (doc: Doc): Doc[] => hour8(doc).stoppages as Doc[];
const durationSum = (doc: Doc): number => stoppagesOf(doc).reduce((s, st) => s + (st.duration as number), 0);
/** A deep copy that keeps ObjectIds and Dates, as a reload from the database would. */
function reload<T>(value: T): T {
  if (value instanceof ObjectId || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(reload) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reload(v)])) as T;
}

describe('app-contract: productionrecords merge', () => {
  it('builds a new day document in the application shape', () => {
    const now = new Date(T0 + 1_300_000);
    const r = mergeSnapshots(null, [snap()], bson, now);
    assert.equal(r.changed, true);
    const doc = r.insert!;
    assert.equal(doc.unitsProduced, 10);
    assert.equal(doc.defectiveUnits, 0);
    assert.deepEqual(doc.lastActivityTime, new Date(T0 + 1_200_000));
    assert.deepEqual(doc.createdAt, now);
    assert.deepEqual(doc.updatedAt, now);
    const [hour] = doc.hourlyData as Doc[];
    assert.ok(hour._id instanceof ObjectId);
    assert.deepEqual({ ...hour, _id: undefined, stoppages: undefined }, { _id: undefined, hour: 8, unitsProduced: 10, defectiveUnits: 0, status: 'running', runningMinutes: 20, stoppageMinutes: 5, stoppages: undefined });
    const [st] = hour.stoppages as Doc[];
    assert.ok(st._id instanceof ObjectId);
    assert.deepEqual({ ...st, _id: undefined }, { _id: undefined, reason: 'unclassified', description: '', startTime: new Date(T0 + 60_000), endTime: new Date(T0 + 360_000), duration: 5, isPending: false, isClassified: false });
    assert.deepEqual(dayStart('2026-03-10'), new Date('2026-03-10T00:00:00.000Z'));
  });

  it('keeps operator fields and classified stoppages, updates ours, sums the totals', () => {
    const first = apply(null, [snap()]);
    const hour = hour8(first);
    const opId = new ObjectId();
    const moldId = new ObjectId();
    // What an operator does in the application:
    const existing = {
      ...first, operatorId: opId, moldId,
      hourlyData: [{ ...hour, operatorId: opId, moldId, defectiveUnits: 3, stoppages: [{ ...(hour.stoppages as object[])[0], reason: 'breakdown', description: 'belt', isClassified: true, duration: 7 }] }],
    };
    const r = mergeSnapshots(existing, [
      snap({ unitsProduced: 25, revision: 2, stoppages: [{ startTime: T0 + 60_000, endTime: T0 + 420_000, duration: 6, isPending: false }, { startTime: T0 + 1_800_000, endTime: null, duration: 2, isPending: true }] }),
      snap({ hour: 9, unitsProduced: 4, revision: 1, stoppages: [], runMasks: [] }),
    ], bson, new Date(T0 + 5000));
    const set = r.set!;
    assert.equal(set.operatorId, undefined, 'record operator fields are not in the update');
    const [h8, h9] = set.hourlyData as Doc[];
    assert.equal(h8._id, hour._id);
    assert.equal(h8.operatorId, opId);
    assert.equal(h8.moldId, moldId);
    assert.equal(h8.defectiveUnits, 3);
    assert.equal(h8.unitsProduced, 25);
    const stoppages = h8.stoppages as Doc[];
    assert.equal(stoppages.length, 2);
    assert.deepEqual([stoppages[0].reason, stoppages[0].duration, stoppages[0].isClassified], ['breakdown', 7, true], 'classified stoppage untouched');
    assert.deepEqual([stoppages[1].reason, stoppages[1].endTime, stoppages[1].isPending], ['unclassified', null, true]);
    assert.equal(h8.stoppageMinutes, 9, 'the sum of the durations, the classified one included');
    assert.equal(h9.hour, 9);
    assert.equal(set.unitsProduced, 29);
    assert.equal(set.defectiveUnits, 3);
    assert.deepEqual((set[LEDGER_FIELD] as { hour: number; revision: number }[]).map((h) => [h.hour, h.revision]), [[8, 2], [9, 1]]);
  });

  it('ignores snapshots whose revision is not newer, and keeps updatedAt strictly increasing', () => {
    const doc = apply(null, [snap({ revision: 5 })]);
    assert.equal(mergeSnapshots(doc, [snap({ revision: 5, unitsProduced: 99 })], bson, new Date(T0)).changed, false);
    assert.equal(mergeSnapshots(doc, [snap({ revision: 4, unitsProduced: 99 })], bson, new Date(T0)).changed, false);
    const newer = mergeSnapshots(doc, [snap({ revision: 6 })], bson, new Date(T0 - 10));
    assert.deepEqual(newer.set!.updatedAt, new Date((doc.updatedAt as Date).getTime() + 1));
  });

  it('names what is wrong in a snapshot', () => {
    assert.throws(() => validateSnapshot({ ...snap(), runningMinutes: 61 }), /payload\.runningMinutes: 61 is outside 0\.\.60/);
    assert.throws(() => validateSnapshot({ ...snap(), machineId: 'x' }), /payload\.machineId/);
    assert.throws(() => validateSnapshot({ ...snap(), stoppages: [{ startTime: 'never', duration: 1 }] }), /payload\.stoppages\.0\.startTime/);
    assert.throws(() => validateSnapshot({ ...snap(), hour: 7.5 }), /payload\.hour: expected an integer hour/);
    assert.throws(() => validateSnapshot({ ...snap(), session: '__proto__.x' }), /payload\.session: expected a session id/);
    assert.throws(() => validateSnapshot({ ...snap(), tally: { base: 0, sessions: [{ id: 'A', units: 3 }] } }), /payload\.tally: adds up to 3, not to unitsProduced 10/);
    assert.throws(() => validateSnapshot({ ...snap(), runMasks: [{ start: T0, bits: [1] }] }), /payload\.runMasks\.0\.bits/);
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `s${i}`, units: 0 }));
    assert.throws(() => validateSnapshot({ ...snap(), unitsProduced: 0, tally: { base: 0, sessions: many } }), /payload\.tally\.sessions: 1001 sessions, at most 1000/);
  });

  describe('no lifecycle event lowers a stored count', () => {
    it('a restarted aggregator (new session) adds its units on top of what earlier sessions stored', () => {
      // Session A stored 76; after a deploy with a memory context store, session B starts from nothing.
      const stored = apply(null, [snap({ unitsProduced: 76, revision: 100 })]);
      const after = apply(stored, [snap({ session: 'B', unitsProduced: 1, revision: 50, stoppages: [], runMasks: [{ start: T0, bits: [0, 1 << 5] }] })]);
      assert.equal(hour8(after).unitsProduced, 77);
      assert.equal(after.unitsProduced, 77);
      assert.equal(hour8(after).runningMinutes, 21, 'minute bits are united, not replaced');
    });

    it('state restored up to a second late (it knows less than the database) neither lowers nor double counts', () => {
      const stored = apply(null, [snap({ unitsProduced: 10, revision: 100 })]);
      // B continues A's saved state, which knew 9 of A's units; B counted 2 of its own.
      const late = snap({ session: 'B', unitsProduced: 11, revision: 101, tally: { base: 0, sessions: [{ id: 'A', units: 9 }, { id: 'B', units: 2 }] } });
      assert.equal(hour8(apply(stored, [late])).unitsProduced, 12);
    });

    it('units a lost write never stored are brought in by the next session that knows them', () => {
      const stored = apply(null, [snap({ unitsProduced: 8, revision: 100 })]);
      const next = snap({ session: 'B', unitsProduced: 11, revision: 101, tally: { base: 0, sessions: [{ id: 'A', units: 10 }, { id: 'B', units: 1 }] } });
      assert.equal(hour8(apply(stored, [next])).unitsProduced, 11);
    });

    it('documents written before the ledger: their counts are the base, a session-less replay changes nothing', () => {
      const legacy: Doc = {
        _id: new ObjectId(), machineId: new ObjectId(M), startTime: dayStart('2026-03-10'), unitsProduced: 40, defectiveUnits: 0,
        s7Revisions: { 8: 500 }, updatedAt: new Date(T0),
        hourlyData: [{ _id: new ObjectId(), hour: 8, unitsProduced: 40, defectiveUnits: 0, status: 'running', runningMinutes: 30, stoppageMinutes: 0, stoppages: [
          { _id: new ObjectId(), reason: 'unclassified', description: '', startTime: new Date(T0 + MIN), endTime: null, duration: 2, isPending: true, isClassified: false },
        ] }],
      };
      const replay = validateSnapshot({ ...snap(), session: undefined, tally: undefined, runMasks: undefined, unitsProduced: 40, revision: 500 });
      assert.equal(mergeSnapshots(legacy, [replay], bson, new Date(T0)).changed, false);
      const after = apply(legacy, [snap({ session: 'B', unitsProduced: 3, revision: 600, runMasks: [], stoppages: [{ startTime: T0 + MIN, endTime: T0 + 9 * MIN, duration: 8, isPending: false }] })]);
      assert.equal(hour8(after).unitsProduced, 43);
      assert.equal(hour8(after).runningMinutes, 30, 'the stored minutes are a floor');
      assert.deepEqual(stoppagesOf(after).map((st) => [st.reason, st.duration, st.isPending]), [['unclassified', 8, false]], 'ours found by startTime, not added again');
    });
  });

  it('a slot an older version filled with the hour a day earlier (plant-local dating) is not taken as this hour', () => {
    // Europe/Berlin: local 00:00 of 03-11 started 03-10T23:00Z; the old rule filed it in 03-11's document, slot 0.
    const earlierHour = Date.parse('2026-03-10T23:00:00Z');
    const thisHour = Date.parse('2026-03-11T23:00:00Z'); // local 00:00 of 03-12, slot 0 of 03-11's document now
    const legacy: Doc = {
      _id: new ObjectId(), machineId: new ObjectId(M), startTime: dayStart('2026-03-11'), unitsProduced: 30, defectiveUnits: 0,
      s7Revisions: { 0: earlierHour + 62 * MIN }, updatedAt: new Date(earlierHour),
      hourlyData: [{ _id: new ObjectId(), hour: 0, unitsProduced: 30, defectiveUnits: 0, status: 'running', runningMinutes: 50, stoppageMinutes: 0, stoppages: [] }],
    };
    const s = snap({ date: '2026-03-11', hour: 0, unitsProduced: 4, runningMinutes: 5, revision: thisHour + 5 * MIN, stoppages: [], runMasks: [{ start: thisHour, bits: [0b11111, 0] }] });
    const after = apply(legacy, [s]);
    const slot = (after.hourlyData as Doc[])[0];
    assert.deepEqual([slot.unitsProduced, slot.runningMinutes], [4, 5]);
    // The same hour written by the older version (its revision within the hour) is the base.
    const sameHour = apply({ ...legacy, s7Revisions: { 0: thisHour + 2 * MIN } }, [s]);
    assert.equal((sameHour.hourlyData as Doc[])[0].unitsProduced, 34);
  });

  describe("operators' edits, the application's way", () => {
    it('a stoppage classified while the machine stands still is extended, never duplicated, and closed at the next unit', () => {
      const open = (minutes: number, revision: number): ValidSnapshot =>
        snap({ revision, status: 'stoppage', stoppages: [{ startTime: T0 + MIN, endTime: null, duration: minutes, isPending: true }] });
      let doc = apply(null, [open(3, 1)]);
      const ours = stoppagesOf(doc)[0]._id;
      doc = reload(doc);
      classifyStoppage(doc, 8, ours, { reason: 'breakdown', description: 'belt torn', sapNotificationNumber: '4711' }, T0 + 5 * MIN, newId);
      assert.equal(unclassifiedCount([doc]), 0);
      doc = apply(doc, [open(9, 2)]);
      assert.equal(stoppagesOf(doc).length, 1, 'no second automatic stoppage for the same standstill');
      const [classified] = stoppagesOf(doc);
      assert.deepEqual([classified.reason, classified.description, classified.sapNotificationNumber, classified.isClassified, classified.startTime], ['breakdown', 'belt torn', '4711', true, null]);
      assert.equal(classified.duration, 9, 'extended while the machine stands still');
      assert.equal(unclassifiedCount([doc]), 0, 'the dashboard shows nothing unclassified');
      doc = apply(doc, [snap({ revision: 3, stoppages: [{ startTime: T0 + MIN, endTime: T0 + 13 * MIN, duration: 12, isPending: false }] })]);
      assert.equal(stoppagesOf(doc).length, 1);
      assert.deepEqual([stoppagesOf(doc)[0].duration, (stoppagesOf(doc)[0].endTime as Date).getTime(), stoppagesOf(doc)[0].reason], [12, T0 + 13 * MIN, 'breakdown']);
      assert.equal(hour8(doc).stoppageMinutes, 12);
    });

    it('two standstills under a minute, the first classified meanwhile, keep 0 minutes each: stoppageMinutes 0, the sum of the durations', () => {
      const first = { startTime: T0 + MIN + 1, endTime: null, duration: 0, isPending: true };
      let doc = apply(null, [snap({ revision: 1, status: 'stoppage', stoppages: [first] })]);
      doc = reload(doc);
      classifyStoppage(doc, 8, stoppagesOf(doc)[0]._id, { reason: 'breakdown', description: 'bearing', sapNotificationNumber: '4711' }, T0 + MIN + 20_000, newId);
      // The next unit ends it 45 s after its start; a second standstill has lasted 40 s when the snapshot is taken.
      doc = apply(doc, [snap({ revision: 2, status: 'stoppage', stoppages: [
        { ...first, endTime: T0 + MIN + 45_000, isPending: false },
        { startTime: T0 + 3 * MIN, endTime: null, duration: 0, isPending: true },
      ] })]);
      assert.deepEqual(stoppagesOf(doc).map((st) => [st.reason, st.duration, st.isPending]), [['breakdown', 0, false], ['unclassified', 0, true]]);
      assert.equal(hour8(doc).stoppageMinutes, 0);
      assert.equal(durationSum(doc), 0);
    });

    it('a classified stoppage ends at the next unit, also when that comes within the same whole minute as the classification', () => {
      const open = { startTime: T0 + MIN + 1, endTime: null, duration: 1, isPending: true };
      let doc = apply(null, [snap({ revision: 1, status: 'stoppage', stoppages: [open] })]);
      doc = reload(doc);
      classifyStoppage(doc, 8, stoppagesOf(doc)[0]._id, { reason: 'breakdown', description: 'bearing', sapNotificationNumber: '4711' }, T0 + 2 * MIN + 20_000, newId);
      doc = apply(doc, [snap({ revision: 2, stoppages: [{ ...open, endTime: T0 + 2 * MIN + 45_000, duration: 1, isPending: false }] })]);
      const [classified] = stoppagesOf(doc);
      assert.deepEqual([classified.reason, classified.duration, classified.isPending, (classified.endTime as Date).getTime()], ['breakdown', 1, false, T0 + 2 * MIN + 45_000]);
      // A replay of an older view moves nothing back.
      doc = apply(doc, [snap({ revision: 3, stoppages: [{ ...open, endTime: T0 + 2 * MIN + 30_000, duration: 1, isPending: false }] })]);
      assert.equal((stoppagesOf(doc)[0].endTime as Date).getTime(), T0 + 2 * MIN + 45_000);
    });

    it("an operator-entered stoppage counts in stoppageMinutes and running minutes give way", () => {
      let doc = apply(null, [snap({ runMasks: [{ start: T0, bits: [0x3fffffff, 0x3fffffff] }], stoppages: [] })]);
      assert.equal(hour8(doc).runningMinutes, 60);
      doc = reload(doc);
      addOperatorStoppage(doc, '2026-03-10', 8, { reason: 'planned', description: 'maintenance', duration: 10 }, newId);
      doc = apply(doc, [snap({ revision: 2, unitsProduced: 12, runMasks: [{ start: T0, bits: [0x3fffffff, 0x3fffffff] }], stoppages: [] })]);
      const h = hour8(doc);
      assert.equal(h.stoppageMinutes, 10);
      assert.equal(h.runningMinutes, 50);
      assert.equal(stoppagesOf(doc).length, 1);
      assert.equal(stoppagesOf(doc)[0].reason, 'planned');
    });

    it('a planned stoppage at the hour start is not taken for our stoppage part starting there', () => {
      let doc = apply(null, [snap({ stoppages: [] })]);
      doc = reload(doc);
      addOperatorStoppage(doc, '2026-03-10', 8, { reason: 'planned', description: '', duration: 10 }, newId);
      doc = apply(doc, [snap({ revision: 2, stoppages: [{ startTime: T0, endTime: null, duration: 4, isPending: true }] })]);
      assert.deepEqual(stoppagesOf(doc).map((st) => [st.reason, st.duration]), [['planned', 10], ['unclassified', 4]]);
      assert.equal(hour8(doc).stoppageMinutes, 14);
    });

    it('a session that did not know the open stoppage continues it instead of opening a second one', () => {
      let doc = apply(null, [snap({ revision: 1, stoppages: [{ startTime: T0 + MIN, endTime: null, duration: 4, isPending: true }] })]);
      doc = apply(doc, [snap({ session: 'B', unitsProduced: 0, revision: 2, stoppages: [{ startTime: T0 + 10 * MIN, endTime: null, duration: 2, isPending: true, unknownStart: true }] })]);
      assert.deepEqual(stoppagesOf(doc).map((st) => [(st.startTime as Date).getTime(), st.duration, st.isPending]), [[T0 + MIN, 11, true]]);
      doc = apply(doc, [snap({ session: 'B', unitsProduced: 1, revision: 3, stoppages: [{ startTime: T0 + 10 * MIN, endTime: T0 + 15 * MIN, duration: 5, isPending: false, unknownStart: true }] })]);
      assert.deepEqual(stoppagesOf(doc).map((st) => [st.duration, st.isPending, (st.endTime as Date).getTime()]), [[14, false, T0 + 15 * MIN]]);
    });

    it('a standstill a session saw begin (after a cycle) is a stoppage of its own', () => {
      let doc = apply(null, [snap({ revision: 1, stoppages: [{ startTime: T0 + MIN, endTime: null, duration: 4, isPending: true }] })]);
      doc = apply(doc, [snap({ session: 'B', unitsProduced: 1, revision: 2, stoppages: [{ startTime: T0 + 10 * MIN, endTime: null, duration: 2, isPending: true }] })]);
      assert.deepEqual(stoppagesOf(doc).map((st) => (st.startTime as Date).getTime()), [T0 + MIN, T0 + 10 * MIN]);
    });
  });

  describe('properties', () => {
    /** A session's life in one hour: its units, minute bits and one stoppage grow with its revision. */
    const step = fc.record({ units: fc.nat(5), minutes: fc.nat(59), stopMinutes: fc.nat(3), close: fc.boolean() });

    function sessionSnapshots(id: string, steps: { units: number; minutes: number; stopMinutes: number; close: boolean }[], carried: { id: string; units: number }[] = [], revisionBase = 0): ValidSnapshot[] {
      let units = 0;
      let bits = 0;
      let duration = 0;
      let closed = false;
      const start = T0 + (revisionBase / 100) * MIN;
      return steps.map((s, i) => {
        units += s.units;
        bits |= s.minutes < 30 ? 1 << s.minutes : 0;
        if (!closed) duration += s.stopMinutes;
        closed = closed || s.close;
        const st: AutoStoppage = { startTime: start, endTime: closed ? start + duration * MIN : null, duration, isPending: !closed };
        const carriedUnits = carried.reduce((sum, c) => sum + c.units, 0);
        return snap({
          session: id, revision: revisionBase + i + 1, unitsProduced: carriedUnits + units, stoppages: [st],
          tally: { base: 0, sessions: [...carried, { id, units }] }, runMasks: [{ start: T0, bits: [bits, 0] }],
        });
      });
    }

    it("operators' fields are never changed by a merge", () => {
      const edit = fc.constantFrom('classify', 'planned', 'assign');
      fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), fc.array(edit, { maxLength: 8 }), (steps, edits) => {
        const snaps = sessionSnapshots('A', steps);
        let doc = apply(null, [snaps[0]]);
        const opId = new ObjectId();
        const moldId = new ObjectId();
        snaps.slice(1).forEach((s, i) => {
          doc = reload(doc);
          const e = edits[i];
          if (e === 'classify' && stoppagesOf(doc).some((st) => st.reason === 'unclassified')) {
            classifyStoppage(doc, 8, undefined, { reason: 'breakdown', description: `d${i}`, sapNotificationNumber: String(i) }, T0 + 30 * MIN, newId);
          } else if (e === 'planned') {
            addOperatorStoppage(doc, '2026-03-10', 8, { reason: 'planned', description: `p${i}`, duration: 1 }, newId);
          } else if (e === 'assign') {
            assignProduction(doc, 8, { operatorId: opId, moldId, defectiveUnits: i });
          }
          const operatorView = (d: Doc) => ({
            record: [d.operatorId, d.moldId],
            hour: [hour8(d).operatorId, hour8(d).moldId, hour8(d).defectiveUnits],
            classified: stoppagesOf(d).filter(isClassifiedStoppage).map((st) => [String(st._id), st.reason, st.description, st.sapNotificationNumber, st.isClassified, st.isPending]),
          });
          const before = operatorView(doc);
          doc = apply(doc, [s]);
          assert.deepEqual(operatorView(doc), before);
          assert.equal(hour8(doc).stoppageMinutes, Math.min(60, durationSum(doc)), 'stoppageMinutes is the sum of the durations');
          assert.ok((hour8(doc).runningMinutes as number) + (hour8(doc).stoppageMinutes as number) <= 60);
          assert.ok(stoppagesOf(doc).filter((st) => !isClassifiedStoppage(st)).length <= 1, 'one automatic stoppage for the standstill');
        });
      }));
    });

    it('the same snapshot applied twice changes nothing', () => {
      fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.nat(5), (steps, pick) => {
        const snaps = sessionSnapshots('A', steps);
        const doc = apply(null, snaps);
        const again = snaps[pick % snaps.length];
        assert.equal(mergeSnapshots(doc, [again], bson, new Date(T0)).changed, false);
      }));
    });

    it('snapshots applied in any order end in the newest', () => {
      fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 6 }).chain((steps) => fc.tuple(fc.constant(steps), fc.shuffledSubarray(steps.map((_, i) => i), { minLength: steps.length }))), ([steps, order]) => {
        const snaps = sessionSnapshots('A', steps);
        const inOrder = apply(null, snaps);
        const shuffled = order.reduce<Doc | null>((doc, i) => apply(doc, [snaps[i]]), null)!;
        const figures = (d: Doc) => {
          const h = hour8(d);
          return [h.unitsProduced, h.runningMinutes, h.stoppageMinutes, h.status, stoppagesOf(d).map((st) => [st.duration, st.isPending, st.endTime])];
        };
        assert.deepEqual(figures(shuffled), figures(inOrder));
      }));
    });

    it('a new session never lowers a count', () => {
      const sessionLife = fc.array(step, { minLength: 1, maxLength: 4 });
      fc.assert(fc.property(fc.array(sessionLife, { minLength: 1, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (lives, knowsEarlier) => {
        let doc: Doc | null = null;
        let shown = 0;
        const earlier: { id: string; units: number }[] = [];
        lives.forEach((steps, n) => {
          const id = `S${n}`;
          // A session restored from the context store knows what the one before counted; one started empty does not.
          const carried = knowsEarlier[n] ? earlier : [];
          const snaps = sessionSnapshots(id, steps, carried, n * 100);
          for (const s of snaps) {
            doc = apply(doc, [s]);
            const units = hour8(doc).unitsProduced as number;
            assert.ok(units >= shown, `units went from ${shown} to ${units}`);
            shown = units;
          }
          earlier.push({ id, units: snaps.at(-1)!.tally.sessions.at(-1)!.units });
        });
        assert.equal(shown, earlier.reduce((sum, s) => sum + s.units, 0), 'every session counted once');
      }));
    });
  });
});
