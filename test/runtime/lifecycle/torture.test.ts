/**
 * The lifecycle torture test (issue 10): flows/default-flow.json unchanged, in a real Node-RED
 * process, through 3 Full deploys, 1 Modified deploy, 2 kill -9s with restarts, a 30 s PLC
 * outage, a PLC restart with its counter reset, a 60 s database outage, and operators who
 * classify an ongoing stoppage, enter a planned stoppage and enter defects with the
 * application's own document operations (scenario.ts). At the end `productionrecords` must match
 * the simulators' ground truth (ground-truth.ts). Every combination of database server and
 * context store runs at once, each with its own simulators, server and Node-RED.
 */
import assert from 'node:assert/strict';
import type { Document, ObjectId } from 'mongodb';
import { mongoServerNames } from '../../helpers/mongo-servers';
import { automaticStoppages, classifyPulses, runningMinutesBySlot, slotKey, slotOf, stoppageMinutesBySlot } from './ground-truth';
import {
  CLASSIFIED, COUNTER_MACHINE, COUNTER_TOTAL_LOG, CYCLE_TIMEOUT_MS, DEFECTS, EDGE_MACHINES, MACHINE_NAMES, PLANNED, PLANNED_MINUTES, TIME_ZONE,
  runTorture, type Combo, type ContextStoreName, type TortureRun,
} from './scenario';

/** TORTURE_STORES=memory (comma-separated) narrows the context stores, as MONGO_SERVERS narrows the servers. */
const STORES = (process.env.TORTURE_STORES?.split(',').map((s) => s.trim()).filter(Boolean) ?? ['memory', 'localfilesystem']) as ContextStoreName[];
const combos: Combo[] = mongoServerNames().filter((n) => n !== 'external').flatMap((server) => STORES.map((store) => ({ server, store })));
const comboName = (c: Combo): string => `${c.server}, ${c.store} context`;

const isEdge = (machine: string): boolean => EDGE_MACHINES.some((m) => m.name === machine);

function machineId(run: TortureRun, name: string): ObjectId {
  return run.plant.machines.find((m) => m.name === name)!._id as ObjectId;
}
function recordsOf(run: TortureRun, name: string): Document[] {
  return run.records.filter((r) => String(r.machineId) === String(machineId(run, name)));
}
const hoursOf = (record: Document): Document[] => (record.hourlyData ?? []) as Document[];
const stoppagesOf = (hour: Document): Document[] => (hour.stoppages ?? []) as Document[];
const storedUnits = (records: Document[]): number => records.reduce((sum, r) => sum + hoursOf(r).reduce((s, h) => s + ((h.unitsProduced as number) || 0), 0), 0);
const firstReadOf = (run: TortureRun, name: string): number => (isEdge(name) ? run.firstRead.edge : run.firstRead.counter);
const fmt = (t: number, run: TortureRun): string => new Date(t + run.shift).toISOString().slice(11, 23);

/** mill-3's running totals as its edge counter reported them, from Node-RED's log. */
function counterTotals(run: TortureRun): number[] {
  const pattern = new RegExp(`\\[debug:${COUNTER_TOTAL_LOG}\\] (\\d+)`);
  return run.log.map((l) => pattern.exec(l.line)?.[1]).filter((t): t is string => t !== undefined).map(Number);
}

function summary(run: TortureRun): string {
  const lines = [`[${comboName(run.combo)}] ${run.settled ? 'settled' : 'NOT settled'}; events (plant clock):`];
  for (const e of run.events) lines.push(`  ${fmt(e.at, run)} ${e.what}`);
  for (const w of run.windows) lines.push(`  window ${w.kind} "${w.label}": ${fmt(w.start, run)}..${fmt(w.end, run)} (${((w.end - w.start) / 1000).toFixed(1)} s)`);
  lines.push(`  first read after a PLC came back: ${run.reconnectMs.map((ms) => `${ms} ms`).join(', ')}`);
  for (const name of MACHINE_NAMES) {
    const counted = classifyPulses(run.pulses[name], isEdge(name) ? run.windows : [], firstReadOf(run, name));
    lines.push(`  ${name}: stored ${storedUnits(recordsOf(run, name))}, pulses ${counted.counted.length}, outside outages ${counted.mustCount}`);
  }
  const totals = counterTotals(run);
  lines.push(`  ${COUNTER_MACHINE.name}: the edge counter's last running total ${totals[totals.length - 1] ?? 'none'}`);
  for (const l of run.lowerings) lines.push(`  LOWERED ${l.machine}: ${l.from} -> ${l.to} at ${fmt(l.at, run)} (after "${l.after}")`);
  lines.push('  Node-RED\'s warnings and errors:');
  for (const l of run.log.filter((x) => /\[(warn|error)\] \[/.test(x.line))) lines.push(`    ${l.line}`);
  return lines.join('\n');
}

describe('lifecycle torture: the default flow through deploys, crashes, outages and operators\' edits', function () {
  const runs = new Map<string, TortureRun>();

  before(async function () {
    // About 6 minutes, mostly the outages and the status timeouts; the limit only turns a hang into a failure.
    this.timeout(900_000);
    const settled = await Promise.allSettled(combos.map(async (combo) => {
      runs.set(comboName(combo), await runTorture(combo));
    }));
    for (const run of runs.values()) console.log(summary(run));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async function () {
    this.timeout(120_000);
    await Promise.all([...runs.values()].map((run) => run.close()));
  });

  for (const combo of combos) describe(`[${comboName(combo)}]`, () => tortureChecks(() => runs.get(comboName(combo))!));
});

function tortureChecks(current: () => TortureRun): void {
  it('went through every lifecycle event, and the database holds the result', () => {
    const run = current();
    const kinds = run.windows.map((w) => w.kind);
    assert.equal(kinds.filter((k) => k === 'deploy').length, 3, 'three Full deploys');
    assert.equal(kinds.filter((k) => k === 'node-red-down').length, 2, 'two kill -9s');
    assert.equal(kinds.filter((k) => k === 'plc-down').length, 1, 'one PLC outage');
    assert.ok(run.events.some((e) => e.what === 'modified deploy'), 'a Modified deploy');
    assert.ok(run.events.some((e) => e.what.startsWith('PLC B restart')), 'a PLC restart with its counter reset');
    assert.ok(run.events.some((e) => e.what === 'database back'), 'a database outage');
    for (const name of MACHINE_NAMES) assert.ok(run.pulses[name].length > 10, `${name} produced (${run.pulses[name].length} pulses)`);
    assert.ok(run.settled, 'every machine\'s document was written after its status changed at the end (within 240 s)');
  });

  it('no lifecycle event lowered a stored count', () => {
    const run = current();
    assert.deepEqual(run.lowerings.map((l) => `${l.machine}: ${l.from} -> ${l.to} after "${l.after}"`), []);
  });

  it('one document per machine and UTC date; every hour in the slot of the UTC date on which it starts', () => {
    const run = current();
    for (const name of MACHINE_NAMES) {
      const records = recordsOf(run, name);
      const dates = records.map((r) => (r.startTime as Date).toISOString());
      assert.equal(new Set(dates).size, dates.length, `${name}: one document per date (${dates.join(', ')})`);
      for (const d of dates) assert.match(d, /T00:00:00\.000Z$/, `${name}: startTime at 00:00Z`);
      // Units belong to the hour of their pulse; a pulse in an outage may be counted when reading resumes.
      const slotAt = (t: number): string => slotKey(slotOf(t + run.shift, TIME_ZONE));
      const pulses = run.pulses[name].filter((p) => p.rise > firstReadOf(run, name));
      const windows = isEdge(name) ? run.windows : [];
      const inOutage = (t: number): boolean => windows.some((w) => t >= w.start && t <= w.end);
      const required = new Set(pulses.filter((p) => !inOutage(p.rise)).map((p) => slotAt(p.rise)));
      const allowed = new Set([...pulses.map((p) => slotAt(p.rise)), ...run.windows.map((w) => slotAt(w.end))]);
      const stored = new Set(records.flatMap((r) => hoursOf(r).filter((h) => (h.unitsProduced as number) > 0)
        .map((h) => slotKey({ date: (r.startTime as Date).toISOString().slice(0, 10), hour: h.hour as number }))));
      assert.deepEqual([...required].filter((k) => !stored.has(k)), [], `${name}: hours (UTC date/plant hour) with units missing; stored: ${[...stored].join(', ')}`);
      assert.deepEqual([...stored].filter((k) => !allowed.has(k)), [], `${name}: units in hours (UTC date/plant hour) without pulses`);
      for (const r of records) {
        assert.equal(r.unitsProduced, storedUnits([r]), `${name}: the record's units are the sum of its hours`);
        assert.equal(r.defectiveUnits ?? 0, hoursOf(r).reduce((s, h) => s + ((h.defectiveUnits as number) || 0), 0), `${name}: the record's defects are the sum of its hours`);
        const hours = hoursOf(r).map((h) => h.hour);
        assert.equal(new Set(hours).size, hours.length, `${name}: one entry per hour`);
      }
    }
  });

  it('counter mode: mill-3\'s stored units are exactly the units the PLC made (through the kills, the outage and the counter reset)', () => {
    const run = current();
    const { counted } = classifyPulses(run.pulses[COUNTER_MACHINE.name], [], run.firstRead.counter);
    const totals = counterTotals(run);
    assert.equal(storedUnits(recordsOf(run, COUNTER_MACHINE.name)), counted.length,
      `stored units = the PLC's units (the edge counter's last running total: ${totals[totals.length - 1] ?? 'none'})`);
  });

  for (const m of EDGE_MACHINES) {
    it(`edge mode: ${m.name}'s stored units are the pulses, except pulses while the PLC or Node-RED was down; never more`, () => {
      const run = current();
      const { counted, mustCount } = classifyPulses(run.pulses[m.name], run.windows, run.firstRead.edge);
      const stored = storedUnits(recordsOf(run, m.name));
      assert.ok(stored <= counted.length, `${m.name}: stored ${stored}, more than the ${counted.length} pulses made`);
      assert.ok(stored >= mustCount, `${m.name}: stored ${stored}; ${mustCount} pulses came while Node-RED read the PLC (of ${counted.length})`);
    });

    it(`edge mode: every outage in which ${m.name} made pulses is reported as a gap in Node-RED's log`, () => {
      const run = current();
      const { exempt } = classifyPulses(run.pulses[m.name], run.windows, run.firstRead.edge);
      const id = String(machineId(run, m.name));
      const missing: string[] = [];
      for (const [w, pulses] of exempt) {
        if (w.kind === 'deploy' || pulses.length === 0) continue;
        // Reported after this outage began and before the next one did.
        const next = Math.min(...run.windows.filter((x) => x.start > w.start).map((x) => x.start), Number.POSITIVE_INFINITY);
        const reported = run.log.some((l) => l.at >= w.start && l.at < next && /\[warn\]/.test(l.line) && /edge-counter/.test(l.line) && /gap/i.test(l.line)
          && (l.line.includes(id) || l.line.includes(m.name)));
        if (!reported) missing.push(`${w.label} (${pulses.length} pulse(s) in it)`);
      }
      assert.deepEqual(missing, [], `${m.name}: outages without a gap warning`);
    });
  }

  it('running and stoppage minutes within 1 per hour; stoppageMinutes = the sum of the hour\'s stoppages', () => {
    const run = current();
    const problems: string[] = [];
    for (const name of MACHINE_NAMES) {
      const records = recordsOf(run, name);
      // The documents show the machine as of their last write.
      const until = Math.max(0, ...records.map((r) => (r.updatedAt as Date).getTime())) - run.shift;
      const options = { cycleTimeoutMs: CYCLE_TIMEOUT_MS, from: firstReadOf(run, name), until, shift: run.shift, timeZone: TIME_ZONE };
      const running = runningMinutesBySlot(run.pulses[name], options);
      // Whole minutes per stoppage, as the application counts them; press-1 also has the operator's planned stoppage.
      const stoppage = stoppageMinutesBySlot(automaticStoppages(run.pulses[name], options),
        { shift: run.shift, timeZone: TIME_ZONE, entered: name === 'press-1' ? [[slotKey(run.operator), PLANNED_MINUTES]] : [] });
      const stored = new Map(records.flatMap((r) => hoursOf(r).map((h) => [slotKey({ date: (r.startTime as Date).toISOString().slice(0, 10), hour: h.hour as number }), h] as const)));
      for (const key of new Set([...running.keys(), ...stoppage.keys(), ...stored.keys()])) {
        const h = stored.get(key) ?? { runningMinutes: 0, stoppageMinutes: 0, stoppages: [] };
        const expectedRunning = running.get(key) ?? 0;
        const expectedStoppage = stoppage.get(key) ?? 0;
        if (Math.abs((h.runningMinutes as number) - expectedRunning) > 1) problems.push(`${name} ${key}: runningMinutes ${h.runningMinutes}, expected ${expectedRunning} ± 1`);
        if (Math.abs((h.stoppageMinutes as number) - expectedStoppage) > 1) problems.push(`${name} ${key}: stoppageMinutes ${h.stoppageMinutes}, expected ${expectedStoppage} ± 1`);
        const sum = stoppagesOf(h).reduce((s, x) => s + ((x.duration as number) || 0), 0);
        if (h.stoppageMinutes !== sum) problems.push(`${name} ${key}: stoppageMinutes ${h.stoppageMinutes} but its stoppages sum to ${sum}`);
        if ((h.runningMinutes as number) + (h.stoppageMinutes as number) > 60) problems.push(`${name} ${key}: running + stoppage > 60`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the classified standstill keeps one stoppage, as the operator left it, extended to the next unit; no second automatic one', () => {
    const run = current();
    const { classify } = run.operator;
    assert.ok(classify?.saved, `the operator classified lathe-2's pending stoppage: ${classify && !classify.saved ? classify.why : 'not attempted'}`);
    const { from, to } = run.operator.standstill;
    const all = recordsOf(run, 'lathe-2').flatMap((r) => hoursOf(r).flatMap(stoppagesOf));
    const problems: string[] = [];
    const classified = all.filter((s) => s.reason === CLASSIFIED.reason);
    if (classified.length !== 1) problems.push(`${classified.length} classified stoppages: ${JSON.stringify(classified)}`);
    for (const s of classified) {
      const fields = { reason: s.reason, description: s.description, sapNotificationNumber: s.sapNotificationNumber, isClassified: s.isClassified };
      if (JSON.stringify(fields) !== JSON.stringify({ ...CLASSIFIED, isClassified: true })) problems.push(`the operator's fields changed: ${JSON.stringify(fields)}`);
      const truth = (to - (from + CYCLE_TIMEOUT_MS)) / 60_000;
      if (Math.abs((s.duration as number) - truth) > 1) problems.push(`duration ${s.duration}, the stoppage lasted ${truth.toFixed(1)} min`);
      if (s.isPending !== false) problems.push(`isPending ${String(s.isPending)} after the next unit`);
    }
    const duplicates = all.filter((x) => x.reason === 'unclassified' && x.startTime instanceof Date
      && (x.startTime as Date).getTime() - run.shift >= from && (x.startTime as Date).getTime() - run.shift < to);
    if (duplicates.length > 0) problems.push(`a second, unclassified stoppage for the same standstill: ${JSON.stringify(duplicates)}`);
    assert.deepEqual(problems, []);
  });

  it('the dashboard\'s unclassified count for lathe-2 was 0 at the package\'s first write after the classification', () => {
    const after = current().operator.afterClassify;
    assert.ok(after?.written, 'the package wrote lathe-2 again after the operators\' edits (within 150 s)');
    assert.equal(after.unclassified, 0, 'unclassified stoppages of lathe-2');
  });

  it('every operator field as the operator left it: planned stoppage, operator, mould, defects', () => {
    const run = current();
    const { planned, assignment, date, hour, operatorId, moldId } = run.operator;
    assert.ok(planned?.saved, `the planned stoppage was saved: ${planned && !planned.saved ? planned.why : 'not attempted'}`);
    assert.ok(assignment?.saved, `the assignment was saved: ${assignment && !assignment.saved ? assignment.why : 'not attempted'}`);
    const dayOf = (name: string): Document | undefined => recordsOf(run, name).find((r) => (r.startTime as Date).toISOString().startsWith(date));
    const pressHour = hoursOf(dayOf('press-1') ?? {}).find((h) => h.hour === hour);
    const plannedNow = stoppagesOf(pressHour ?? {}).filter((s) => s.reason === PLANNED.reason);
    assert.equal(plannedNow.length, 1, `press-1 hour ${hour} of ${date}: one planned stoppage (${JSON.stringify(stoppagesOf(pressHour ?? {}))})`);
    assert.deepEqual(
      { description: plannedNow[0].description, duration: plannedNow[0].duration, isClassified: plannedNow[0].isClassified, isPending: plannedNow[0].isPending },
      { description: PLANNED.description, duration: PLANNED_MINUTES, isClassified: true, isPending: false });
    const latheDay = dayOf('lathe-2');
    const latheHour = hoursOf(latheDay ?? {}).find((h) => h.hour === hour);
    assert.ok(latheHour, `lathe-2 has hour ${hour} in its document of ${date}`);
    assert.equal(String(latheHour.operatorId), String(operatorId), 'operatorId');
    assert.equal(String(latheHour.moldId), String(moldId), 'moldId');
    assert.equal(latheHour.defectiveUnits, DEFECTS, 'defectiveUnits of the hour');
    assert.ok((latheDay!.defectiveUnits as number) >= DEFECTS, `the record's defectiveUnits ${latheDay!.defectiveUnits}`);
  });
}
