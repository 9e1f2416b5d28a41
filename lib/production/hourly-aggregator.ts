/**
 * Per machine per plant-local hour: units, running and stoppage minutes, status, automatic
 * stoppages and power statistics, counted the application's way (FRONTEND-CONTRACT.md).
 *
 * Time model. Every machine has a cursor: the instant up to which its status timeline is
 * accounted. Status is a pure function of the last power and cycle sightings and the
 * timeouts, so between two inputs it changes only when a timeout runs out; advancing the
 * cursor walks those instants exactly. An observation at or after the cursor first advances
 * it to the observation's timestamp, then applies. Inputs of one instant act together: the
 * status at that instant is settled when time moves past it (a later input or a tick), so a
 * power and a cycle reading with the same timestamp make one transition. tick() advances every machine to
 * clock() - settleMs, so a silent machine still goes inactive and its minutes still count.
 * An observation older than the cursor ("late") still adds its units and power sample to its
 * own hour and closes an automatic stoppage it ends; the status timeline before the cursor
 * is not rewritten.
 *
 * Sessions. Every aggregator is one session (a random id). Its own units are kept apart from
 * the units it took over (from the context store or the database), so that the writer can add
 * them on top of what earlier sessions stored instead of replacing it (lib/app-contract).
 */
import { randomUUID } from 'node:crypto';
import { hourSnapshot, type AutoStoppage, type HourSnapshot, type HourStatus, type PowerStats, type StoredHour, type UnitTally } from '../app-contract';
import type { MachineStatus, MachineStatusEvent } from '../shared/messages';
import { HOUR_MS, MINUTE_MS, PlantZone } from './plant-time';

export interface AggregatorOptions {
  timeZone: string;
  powerTimeoutMs: number;
  cycleTimeoutMs: number;
  /** Open hours are snapshotted (when changed) this often. */
  snapshotIntervalMs: number;
  /** An hour's final snapshot waits this long after its end for late readings. */
  graceMs: number;
  /** tick() accounts time up to clock() minus this, leaving room for delivery delay. */
  settleMs: number;
  /** Closed hours are kept this long for corrections; older input is rejected. */
  retainMs: number;
  /** Every hour of a known machine gets a snapshot, with zeros when nothing happened. */
  zeroFill: boolean;
  /** An automatic stoppage also ends when the machine loses power (default: only the next cycle ends it). */
  endStoppageOnPowerLoss: boolean;
}

export const AGGREGATOR_DEFAULTS: AggregatorOptions = {
  timeZone: 'UTC',
  powerTimeoutMs: 5 * MINUTE_MS,
  cycleTimeoutMs: 2 * MINUTE_MS,
  snapshotIntervalMs: MINUTE_MS,
  graceMs: 2 * MINUTE_MS,
  settleMs: 2_000,
  retainMs: 24 * HOUR_MS,
  zeroFill: false,
  endStoppageOnPowerLoss: false,
};

interface StoppagePart {
  startTime: number;
  endTime: number | null;
  /** Opened before this session saw the machine cycle: the standstill may have begun before it started watching. */
  unknownStart?: boolean;
}

interface PowerAccumulator {
  min: number;
  max: number;
  sum: number;
  samples: number;
  kwh: number;
}

/** One machine's plant-local hour, keyed by its UTC start. */
export interface HourBucket {
  start: number;
  /** Units counted by this session. */
  units: number;
  /** Units taken over from earlier sessions (absent in state saved by older versions). */
  carried?: UnitTally;
  /** Running minutes as bits: [minutes 0..29, minutes 30..59] of the hour. */
  runMask: [number, number];
  stoppages: StoppagePart[];
  status: MachineStatus | null;
  lastActivity: number | null;
  power: PowerAccumulator | null;
  revision: number;
  final: boolean;
  dirty: boolean;
}

export interface MachineState {
  machineId: string;
  /** When the machine was first seen: whether it cycled just before is unknown for a cycle timeout. */
  firstSeen: number;
  cursor: number;
  lastPower: number | null;
  lastCycle: number | null;
  status: MachineStatus | null;
  /** Start of the open automatic stoppage. */
  openStoppage: number | null;
  /** Inputs arrived at the cursor instant; its status is settled once time moves on. */
  evalPending: boolean;
  lastKw: { t: number; kw: number } | null;
  buckets: Record<string, HourBucket>;
  /** Per counter (edge-counter node and key): the highest running total counted. Null-prototype. */
  unitTotals?: Record<string, number>;
}

export interface AggregatorState {
  version: 1;
  /** The session that counted the buckets' own units (absent in state saved by older versions). */
  session?: string;
  /** Null-prototype: machine ids are input. */
  machines: Record<string, MachineState>;
  lastSnapshotAt: number;
}

export type Observation =
  | { kind: 'power'; machineId: string; timestamp: number; powered: boolean; kw?: number }
  | { kind: 'cycle'; machineId: string; timestamp: number }
  /** `counter` (node id and key) and its running `total`, when the event names them. */
  | { kind: 'units'; machineId: string; timestamp: number; delta: number; counter?: string; total?: number }
  /** A sample that saw nothing (cycle bit 0): time passes, nothing else. */
  | { kind: 'idle'; machineId: string; timestamp: number };

export interface AggregatorOutput {
  snapshots: HourSnapshot[];
  statuses: MachineStatusEvent[];
}

export function inferStatus(hasPower: boolean, hasCycle: boolean): MachineStatus {
  if (hasPower) return hasCycle ? 'running' : 'stoppage';
  return hasCycle ? 'stopped_yet_producing' : 'inactive';
}

function hourStatusOf(status: MachineStatus | null): HourStatus {
  if (status === 'running' || status === 'stopped_yet_producing') return 'running';
  return status === 'stoppage' ? 'stoppage' : 'inactive';
}

function emptyBucket(start: number): HourBucket {
  return { start, units: 0, runMask: [0, 0], stoppages: [], status: null, lastActivity: null, power: null, revision: 0, final: false, dirty: true };
}

function isAggregatorState(value: unknown): value is AggregatorState {
  const v = value as AggregatorState;
  return typeof v === 'object' && v !== null && v.version === 1 && typeof v.machines === 'object' && v.machines !== null;
}

function addUnits(tally: UnitTally, session: string | undefined, units: number): void {
  if (units === 0) return;
  if (session === undefined) {
    tally.base += units;
    return;
  }
  const known = tally.sessions.find((s) => s.id === session);
  if (known) known.units += units;
  else tally.sessions.push({ id: session, units });
}

/**
 * State saved by an earlier session, continued by this one: what the earlier session counted
 * becomes carried units, machines and buckets become null-prototype maps.
 */
function continueState(restored: AggregatorState, session: string): AggregatorState {
  const machines: Record<string, MachineState> = Object.create(null);
  for (const [machineId, m] of Object.entries(restored.machines)) {
    const buckets: Record<string, HourBucket> = Object.create(null);
    for (const [key, bucket] of Object.entries(m.buckets ?? {})) {
      const carried = bucket.carried ?? { base: 0, sessions: [] };
      addUnits(carried, restored.session, bucket.units);
      buckets[key] = { ...bucket, units: 0, carried };
    }
    const unitTotals: Record<string, number> = Object.create(null);
    for (const [counter, total] of Object.entries(m.unitTotals ?? {})) if (Number.isInteger(total) && total >= 0) unitTotals[counter] = total;
    machines[machineId] = { ...m, buckets, unitTotals };
  }
  return { version: 1, session, machines, lastSnapshotAt: restored.lastSnapshotAt };
}

/**
 * The units an event adds. Without the counter's running total: its delta. With it: what the
 * total grew since the last event of that counter, so after a crash the counter and the
 * aggregator agree whichever saved its state last. A counter restored from older state re-sends
 * units already counted here (counted once: a PLC counter register still holds them); one
 * restored from newer state sends units whose events were lost with this aggregator's unsaved
 * state (counted now: no snapshot left with them). Both rest on the nodes sending a unit event or
 * a snapshot only once the state that counted it is saved (NodeState.sendInOrder): an edge
 * counter cannot re-send an edge, so a total it sent must never be missing from its journal. A
 * total that starts again from its delta is a counter reset (msg.reset, new state): its delta counts.
 */
function unitsToCount(m: MachineState, obs: Extract<Observation, { kind: 'units' }>): number {
  if (obs.counter === undefined || obs.total === undefined) return obs.delta;
  const totals = (m.unitTotals ??= Object.create(null) as Record<string, number>);
  const last = totals[obs.counter];
  const startedAgain = obs.total === obs.delta;
  if (last === undefined || (startedAgain && last > obs.total)) {
    totals[obs.counter] = obs.total;
    return obs.delta;
  }
  if (obs.total <= last) return 0;
  totals[obs.counter] = obs.total;
  return obs.total - last;
}

export class HourlyAggregator {
  readonly zone: PlantZone;
  private readonly options: AggregatorOptions;
  private readonly data: AggregatorState;

  constructor(options: Partial<AggregatorOptions>, private readonly clock: () => number, restored?: unknown, readonly session: string = randomUUID()) {
    this.options = { ...AGGREGATOR_DEFAULTS, ...options };
    this.zone = new PlantZone(this.options.timeZone);
    this.data = isAggregatorState(restored) ? continueState(restored, session) : { version: 1, session, machines: Object.create(null), lastSnapshotAt: 0 };
  }

  /** The live state, JSON-safe; the adapter stores it as is. */
  get state(): AggregatorState {
    return this.data;
  }

  get machineCount(): number {
    return Object.keys(this.data.machines).length;
  }

  /** Timeouts can change at run time (the application's configs document). */
  setTimeouts(powerTimeoutMs: number, cycleTimeoutMs: number): void {
    this.options.powerTimeoutMs = powerTimeoutMs;
    this.options.cycleTimeoutMs = cycleTimeoutMs;
  }

  /** Accepted timestamp window, for input checks. */
  get window(): { maxAgeMs: number; maxAheadMs: number } {
    return { maxAgeMs: this.options.retainMs, maxAheadMs: 5 * MINUTE_MS };
  }

  observe(obs: Observation): AggregatorOutput {
    const out: AggregatorOutput = { snapshots: [], statuses: [] };
    const m = this.machine(obs.machineId, obs.timestamp);
    const t = obs.timestamp;
    if (t > m.cursor) this.advance(m, t, out);

    if (obs.kind === 'power') {
      if (obs.kw !== undefined) this.addPowerSample(m, t, obs.kw);
      if (obs.powered) m.lastPower = Math.max(m.lastPower ?? t, t);
    } else if (obs.kind !== 'idle') {
      if (obs.kind === 'units') {
        const bucket = this.bucket(m, t);
        bucket.units += unitsToCount(m, obs);
        bucket.lastActivity = Math.max(bucket.lastActivity ?? t, t);
        bucket.dirty = true;
      }
      m.lastCycle = Math.max(m.lastCycle ?? t, t);
      if (m.openStoppage !== null && m.openStoppage <= t) this.closeStoppage(m, t);
    }
    m.evalPending = true;
    this.finalize(m, out);
    return out;
  }

  /** Advances every machine to clock() - settleMs; emits status changes, final and periodic snapshots. */
  tick(): AggregatorOutput {
    const out: AggregatorOutput = { snapshots: [], statuses: [] };
    const now = this.clock();
    const periodic = now - this.data.lastSnapshotAt >= this.options.snapshotIntervalMs;
    for (const m of Object.values(this.data.machines)) {
      const target = now - this.options.settleMs;
      if (target > m.cursor) this.advance(m, target, out);
      this.finalize(m, out);
      if (periodic) {
        for (const bucket of this.sortedBuckets(m)) if (bucket.dirty) out.snapshots.push(this.snapshot(m, bucket));
      }
      this.evict(m, now);
    }
    if (periodic) this.data.lastSnapshotAt = now;
    return out;
  }

  /** Snapshots of every open (not final) or unsent hour, to send them again after a start. */
  openSnapshots(): HourSnapshot[] {
    const out: HourSnapshot[] = [];
    for (const m of Object.values(this.data.machines)) {
      for (const bucket of this.sortedBuckets(m)) {
        if ((!bucket.final || bucket.dirty) && this.slotParts(m, bucket)[0] === bucket) out.push(this.snapshot(m, bucket));
      }
    }
    return out;
  }

  /** The current view of every hour held for a machine (all machines when omitted); changes nothing. */
  snapshotsOf(machineId?: string): HourSnapshot[] {
    const machines = machineId === undefined ? Object.values(this.data.machines) : [this.data.machines[machineId]].filter((m) => m !== undefined);
    return machines.flatMap((m) => this.sortedBuckets(m).map((b) => this.view(m, b, this.slotParts(m, b))));
  }

  /**
   * Takes over an hour from the database when nothing is held for it: units (as carried units
   * of the sessions that counted them), minutes (the stored minute bits, or as many minutes just
   * before now in the current hour) and our automatic stoppages; an open one stays open until
   * the next cycle. Returns false when the hour is not taken (held already, or outside the
   * correction window).
   */
  seedHour(stored: StoredHour): boolean {
    const now = this.clock();
    const starts = stored.plantDated ? this.zone.plantDatedHourStartsOf(stored.date, stored.hour) : this.zone.hourStartsOf(stored.date, stored.hour);
    const start = starts[0];
    if (start === undefined || start > now || start + HOUR_MS < now - this.options.retainMs) return false;
    const existing = this.data.machines[stored.machineId];
    if (existing && starts.some((s) => existing.buckets[s])) return false;
    const m = existing ?? this.machine(stored.machineId, now);
    const bucket = this.bucket(m, start);
    bucket.carried = { base: stored.tally.base, sessions: stored.tally.sessions.map((s) => ({ ...s })) };
    const masks = stored.runMasks.filter((mask) => starts.includes(mask.start));
    if (masks.length > 0) {
      for (const mask of masks) this.bucket(m, mask.start).runMask = [mask.bits[0], mask.bits[1]];
    } else {
      const current = now < start + HOUR_MS;
      const lastMinute = current ? Math.floor((now - start) / MINUTE_MS) : 59;
      const minutes = Math.min(60, Math.max(0, Math.round(stored.minutes)));
      for (let i = 0; i < minutes; i++) {
        const minute = (lastMinute - i + 60) % 60;
        bucket.runMask[minute < 30 ? 0 : 1] |= 1 << (minute % 30);
      }
    }
    bucket.status = stored.status === 'inactive' ? null : stored.status;
    bucket.stoppages = stored.stoppages.map((st) => ({ ...st })).sort((a, b) => a.startTime - b.startTime);
    // An hour an older version filed under another date is sent again, to its UTC date's document.
    const misfiled = stored.plantDated && this.zone.label(start).date !== stored.date;
    for (const s of starts) {
      const part = m.buckets[s];
      if (!part) continue;
      part.revision = stored.revision;
      part.final = now >= s + HOUR_MS + this.options.graceMs;
      part.dirty = misfiled;
    }
    const open = bucket.stoppages.at(-1);
    if (open && open.endTime === null && m.openStoppage === null) {
      m.openStoppage = open.startTime;
      // Still open: it continues through the hours since, up to now.
      for (let boundary = start + HOUR_MS; boundary <= now; boundary += HOUR_MS) this.crossHour(m, boundary);
    }
    return true;
  }

  private machine(machineId: string, t: number): MachineState {
    let m = this.data.machines[machineId];
    if (!m) {
      m = { machineId, firstSeen: t, cursor: t, lastPower: null, lastCycle: null, status: null, openStoppage: null, evalPending: false, lastKw: null, buckets: Object.create(null) };
      this.data.machines[machineId] = m;
      if (this.options.zeroFill) this.bucket(m, t);
    }
    return m;
  }

  private bucket(m: MachineState, t: number): HourBucket {
    const start = this.zone.hourStart(t);
    let bucket = m.buckets[start];
    if (!bucket) {
      bucket = emptyBucket(start);
      m.buckets[start] = bucket;
    }
    return bucket;
  }

  private sortedBuckets(m: MachineState): HourBucket[] {
    return Object.values(m.buckets).sort((a, b) => a.start - b.start);
  }

  private hasPower(m: MachineState, t: number): boolean {
    return m.lastPower !== null && t - m.lastPower <= this.options.powerTimeoutMs;
  }

  private hasCycle(m: MachineState, t: number): boolean {
    return m.lastCycle !== null && t - m.lastCycle <= this.options.cycleTimeoutMs;
  }

  /** Walks the status timeline from the cursor to t, splitting at timeout expiries and hour ends. */
  private advance(m: MachineState, t: number, out: AggregatorOutput): void {
    if (m.evalPending) {
      m.evalPending = false;
      this.evaluate(m, m.cursor, out);
    }
    while (m.cursor < t) {
      const from = m.cursor;
      let to = t;
      if (this.hasPower(m, from)) to = Math.min(to, (m.lastPower as number) + this.options.powerTimeoutMs + 1);
      if (this.hasCycle(m, from)) to = Math.min(to, (m.lastCycle as number) + this.options.cycleTimeoutMs + 1);
      if (this.cycleUnknown(m, from)) to = Math.min(to, m.firstSeen + this.options.cycleTimeoutMs);
      const hourEnd = this.zone.hourStart(from) + HOUR_MS;
      to = Math.min(to, hourEnd);
      this.accrue(m, from, to);
      m.cursor = to;
      if (to === hourEnd) this.crossHour(m, hourEnd);
      this.evaluate(m, to, out);
    }
  }

  /** Accounts [from, to), which lies within one hour and has one status. */
  private accrue(m: MachineState, from: number, to: number): void {
    if (m.status === 'running') this.markRunning(m, from, to - 1);
    if (m.openStoppage !== null) this.bucket(m, from).dirty = true;
  }

  private markRunning(m: MachineState, from: number, to: number): void {
    const bucket = this.bucket(m, from);
    const first = Math.floor((from - bucket.start) / MINUTE_MS);
    const last = Math.min(59, Math.floor((to - bucket.start) / MINUTE_MS));
    for (let minute = first; minute <= last; minute++) {
      const word = minute < 30 ? 0 : 1;
      const bit = 1 << (minute % 30);
      if ((bucket.runMask[word] & bit) === 0) {
        bucket.runMask[word] |= bit;
        bucket.dirty = true;
      }
    }
  }

  private crossHour(m: MachineState, boundary: number): void {
    if (m.openStoppage !== null) {
      // A stoppage spanning the boundary: each hour holds its own part.
      const previous = this.bucket(m, boundary - 1);
      const part = previous.stoppages[previous.stoppages.length - 1];
      if (part && part.endTime === null) part.endTime = boundary;
      previous.dirty = true;
      this.bucket(m, boundary).stoppages.push({ startTime: boundary, endTime: null });
    } else if (this.options.zeroFill) {
      this.bucket(m, boundary);
    }
  }

  /** Newly seen and no cycle yet: it may have cycled just before we started listening. */
  private cycleUnknown(m: MachineState, t: number): boolean {
    return m.lastCycle === null && t < m.firstSeen + this.options.cycleTimeoutMs;
  }

  /** The status at instant t (the cursor); emits a change and opens an automatic stoppage. */
  private evaluate(m: MachineState, t: number, out: AggregatorOutput): void {
    const hasPower = this.hasPower(m, t);
    const hasCycle = this.hasCycle(m, t);
    const status = inferStatus(hasPower, hasCycle);
    // Not a stoppage before a whole cycle timeout has been watched: no phantom stoppage at start.
    if (status === 'stoppage' && this.cycleUnknown(m, t)) return;
    if (status !== m.status) {
      out.statuses.push({
        machineId: m.machineId,
        status,
        ...(m.status === null ? {} : { previous: m.status }),
        hasPower,
        hasCycle,
        timestamp: t,
      });
      m.status = status;
    }
    if (status === 'stoppage' && m.openStoppage === null) {
      m.openStoppage = t;
      this.bucket(m, t).stoppages.push({ startTime: t, endTime: null, ...(m.lastCycle === null ? { unknownStart: true } : {}) });
    } else if (!hasPower && m.openStoppage !== null && this.options.endStoppageOnPowerLoss) {
      this.closeStoppage(m, t);
    }
    if (status === 'running') this.markRunning(m, t, t);
    // Like the application, an hour shows the last of running/stoppage it saw; going inactive does not repaint it.
    const bucket = m.buckets[this.zone.hourStart(t)];
    if (bucket && status !== 'inactive' && bucket.status !== status) {
      bucket.status = status;
      bucket.dirty = true;
    }
  }

  /** Ends the open stoppage at t, which may lie before the cursor (a late cycle). */
  private closeStoppage(m: MachineState, t: number): void {
    const endHour = this.zone.hourStart(t);
    for (const bucket of Object.values(m.buckets)) {
      if (bucket.start + HOUR_MS <= t || bucket.start < (this.zone.hourStart(m.openStoppage as number))) continue;
      const part = bucket.stoppages[bucket.stoppages.length - 1];
      if (!part || (part.endTime !== null && part.endTime !== bucket.start + HOUR_MS)) continue;
      if (bucket.start > endHour || part.startTime >= t) {
        // A part that was never sent can go; one already written stays, closed and empty, so the
        // writer (which matches stoppages by start) updates it instead of keeping it open.
        if (bucket.revision === 0) bucket.stoppages.pop();
        else part.endTime = part.startTime;
      } else {
        part.endTime = t;
      }
      bucket.dirty = true;
    }
    m.openStoppage = null;
  }

  private addPowerSample(m: MachineState, t: number, kw: number): void {
    const bucket = this.bucket(m, t);
    const acc = bucket.power ?? { min: kw, max: kw, sum: 0, samples: 0, kwh: 0 };
    acc.min = Math.min(acc.min, kw);
    acc.max = Math.max(acc.max, kw);
    acc.sum += kw;
    acc.samples += 1;
    bucket.power = acc;
    bucket.dirty = true;
    const last = m.lastKw;
    if (last && t <= last.t) return; // out of order: counted in min/max/avg, not integrated
    // Trapezoids only between samples close enough to trust; a gap is missing data, not energy.
    if (last && t - last.t <= this.options.powerTimeoutMs) this.integrate(m, last.t, last.kw, t, kw);
    m.lastKw = { t, kw };
  }

  /** Energy between two samples, split at hour boundaries by linear interpolation. */
  private integrate(m: MachineState, t1: number, p1: number, t2: number, p2: number): void {
    const at = (t: number) => p1 + ((p2 - p1) * (t - t1)) / (t2 - t1);
    let from = t1;
    while (from < t2) {
      const to = Math.min(t2, this.zone.hourStart(from) + HOUR_MS);
      const bucket = this.bucket(m, from);
      const acc = bucket.power ?? { min: at(from), max: at(from), sum: 0, samples: 0, kwh: 0 };
      acc.kwh += ((at(from) + at(to)) / 2) * ((to - from) / HOUR_MS);
      bucket.power = acc;
      bucket.dirty = true;
      from = to;
    }
  }

  /** Hours whose end plus the grace period the cursor has passed become final. */
  private finalize(m: MachineState, out: AggregatorOutput): void {
    const closing: HourBucket[] = [];
    for (const key in m.buckets) {
      const bucket = m.buckets[key];
      if (!bucket.final && m.cursor >= bucket.start + HOUR_MS + this.options.graceMs) closing.push(bucket);
    }
    closing.sort((a, b) => a.start - b.start);
    for (const bucket of closing) {
      bucket.final = true;
      out.snapshots.push(this.snapshot(m, bucket));
    }
  }

  /** Closed hours leave memory after the correction window (plus the fall-back twin hour). */
  private evict(m: MachineState, now: number): void {
    for (const bucket of Object.values(m.buckets)) {
      if (bucket.final && !bucket.dirty && bucket.start + 2 * HOUR_MS < now - this.options.retainMs) delete m.buckets[bucket.start];
    }
  }

  /** A snapshot for output: the slot's revision grows (past the clock), its hours are clean. */
  private snapshot(m: MachineState, bucket: HourBucket): HourSnapshot {
    const parts = this.slotParts(m, bucket);
    const revision = Math.max(this.clock(), ...parts.map((b) => b.revision + 1));
    for (const b of parts) {
      b.revision = revision;
      b.dirty = false;
    }
    return this.view(m, bucket, parts);
  }

  /** The hours sharing bucket's label: itself, plus its twin on a fall-back night. */
  private slotParts(m: MachineState, bucket: HourBucket): HourBucket[] {
    return [m.buckets[bucket.start - HOUR_MS], bucket, m.buckets[bucket.start + HOUR_MS]].filter(
      (b): b is HourBucket => b !== undefined && (b === bucket || this.zone.sameLabel(b.start, bucket.start)),
    );
  }

  /** The application's hour slot: both fall-back twin hours summed. */
  private view(m: MachineState, bucket: HourBucket, parts: HourBucket[]): HourSnapshot {
    const label = this.zone.label(bucket.start);
    const tally: UnitTally = { base: 0, sessions: [{ id: this.session, units: 0 }] };
    let lastActivity: number | null = null;
    let status: MachineStatus | null = null;
    let power: PowerAccumulator | null = null;
    const stoppages: AutoStoppage[] = [];
    for (const b of parts) {
      addUnits(tally, this.session, b.units);
      if (b.carried) {
        tally.base += b.carried.base;
        for (const s of b.carried.sessions) addUnits(tally, s.id, s.units);
      }
      if (b.lastActivity !== null) lastActivity = Math.max(lastActivity ?? b.lastActivity, b.lastActivity);
      if (b.status !== null) status = b.status;
      if (b.power) {
        power = power
          ? { min: Math.min(power.min, b.power.min), max: Math.max(power.max, b.power.max), sum: power.sum + b.power.sum, samples: power.samples + b.power.samples, kwh: power.kwh + b.power.kwh }
          : { ...b.power };
      }
      for (const part of b.stoppages) {
        const end = part.endTime ?? m.cursor;
        stoppages.push({
          startTime: part.startTime,
          endTime: part.endTime,
          duration: Math.min(60, Math.floor(Math.max(0, end - part.startTime) / MINUTE_MS)),
          isPending: part.endTime === null,
          ...(part.unknownStart ? { unknownStart: true } : {}),
        });
      }
    }
    return hourSnapshot({
      machineId: m.machineId,
      date: label.date,
      hour: label.hour,
      tally,
      runMasks: parts.map((b) => ({ start: b.start, bits: [b.runMask[0], b.runMask[1]] })),
      status: hourStatusOf(status),
      stoppages,
      lastActivityTime: lastActivity,
      power: power ? powerStats(power) : null,
      final: parts.every((b) => b.final),
      revision: Math.max(...parts.map((b) => b.revision)),
      session: this.session,
    });
  }
}

function powerStats(acc: PowerAccumulator): PowerStats {
  return {
    minKw: acc.min,
    maxKw: acc.max,
    avgKw: acc.samples === 0 ? 0 : acc.sum / acc.samples,
    energyKwh: acc.kwh,
    samples: acc.samples,
  };
}
