/**
 * The torture test's ground truth, computed from what the simulator recorded (each pulse's
 * rising and falling edge, each read request) and the outage windows the scenario recorded,
 * never from timing assumptions. Pure: instants are epoch ms on one clock.
 */
import type { PulseRecord } from '../../helpers/simulator';

export type OutageKind = 'node-red-down' | 'plc-down' | 'deploy';

/** A time in which the reader could not sample: from the event to the first read after it. */
export interface OutageWindow {
  kind: OutageKind;
  label: string;
  start: number;
  end: number;
}

/**
 * Which pulses the edge counter must have counted: those whose high phase lies outside every
 * window (the reader sampled the low phase before and the high phase, in one session). A pulse
 * that overlaps a window may be missed, and must then be reported as a gap.
 */
export function classifyPulses(pulses: PulseRecord[], windows: OutageWindow[], countFrom: number): {
  counted: PulseRecord[]; mustCount: number; exempt: Map<OutageWindow, PulseRecord[]>;
} {
  const counted = pulses.filter((p) => p.rise > countFrom);
  const exempt = new Map<OutageWindow, PulseRecord[]>(windows.map((w) => [w, []]));
  let mustCount = 0;
  for (const p of counted) {
    const fall = p.fall ?? Number.POSITIVE_INFINITY;
    const hit = windows.filter((w) => p.rise <= w.end && fall >= w.start);
    if (hit.length === 0) mustCount++;
    for (const w of hit) exempt.get(w)!.push(p);
  }
  return { counted, mustCount, exempt };
}

/** The application's hour slot of an instant: the UTC date on which the plant hour starts, and its number. */
export interface HourSlot { date: string; hour: number; start: number }

export function slotOf(t: number, timeZone: string): HourSlot {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(t));
  const part = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  const start = t - (part('minute') * 60 + part('second')) * 1000 - (((t % 1000) + 1000) % 1000);
  return { date: new Date(start).toISOString().slice(0, 10), hour: part('hour'), start };
}

export const slotKey = (s: Pick<HourSlot, 'date' | 'hour'>): string => `${s.date}/${s.hour}`;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Minutes per hour slot in which the machine was `running` in the application's sense (a cycle
 * seen within the cycle timeout; the machines of the scenario are powered throughout), counted
 * from `from` to `until`. `shift` turns the simulator's instants into the plant clock's.
 */
export function runningMinutesBySlot(pulses: PulseRecord[], options: {
  cycleTimeoutMs: number; from: number; until: number; shift: number; timeZone: string;
}): Map<string, number> {
  const minutes = new Set<number>();
  for (const p of pulses) {
    const from = Math.max(p.rise, options.from);
    const to = Math.min((p.fall ?? p.rise) + options.cycleTimeoutMs, options.until);
    for (let m = Math.floor((from + options.shift) / 60_000); m * 60_000 < to + options.shift; m++) minutes.add(m);
  }
  const bySlot = new Map<string, number>();
  for (const m of minutes) {
    const key = slotKey(slotOf(m * 60_000, options.timeZone));
    bySlot.set(key, (bySlot.get(key) ?? 0) + 1);
  }
  return bySlot;
}

/**
 * The automatic stoppages of a powered machine: from the cycle timeout after a unit cycle to the
 * next one's rising edge, or to `until` when none came.
 */
export function automaticStoppages(pulses: PulseRecord[], options: { cycleTimeoutMs: number; from: number; until: number }): { start: number; end: number }[] {
  const seen = pulses.filter((p) => p.fall !== undefined && p.fall > options.from).sort((a, b) => a.rise - b.rise);
  const stoppages: { start: number; end: number }[] = [];
  seen.forEach((p, i) => {
    const start = p.fall! + options.cycleTimeoutMs;
    const end = Math.min(seen[i + 1]?.rise ?? options.until, options.until);
    if (end > start) stoppages.push({ start, end });
  });
  return stoppages;
}

/**
 * An hour slot's `stoppageMinutes` as the application counts it (FRONTEND-CONTRACT.md): a stoppage's
 * `duration` is whole minutes, rounded down (its routes store Math.floor of the minutes since the
 * start), and the hour's stoppageMinutes is the sum of its stoppages' durations, capped at 60. So
 * two standstills of 40 s in one hour make 0 minutes, not 1.3. A stoppage that crosses an hour
 * boundary is one part per hour, each with its own duration (docs/ARCHITECTURE.md: running and
 * stoppage minutes fit in their hour). `entered` adds operators' stoppages (whole minutes) by slot
 * key. Instants are the simulator's; `shift` turns them into the plant clock's.
 */
export function stoppageMinutesBySlot(stoppages: { start: number; end: number }[], options: {
  shift: number; timeZone: string; entered?: [string, number][];
}): Map<string, number> {
  const sums = new Map<string, number>();
  const add = (key: string, minutes: number): void => {
    sums.set(key, (sums.get(key) ?? 0) + minutes);
  };
  for (const s of stoppages) {
    const end = s.end + options.shift;
    for (let from = s.start + options.shift; from < end;) {
      const slot = slotOf(from, options.timeZone);
      const to = Math.min(end, slot.start + HOUR_MS);
      add(slotKey(slot), Math.floor((to - from) / MINUTE_MS));
      from = to;
    }
  }
  for (const [key, minutes] of options.entered ?? []) add(key, minutes);
  return new Map([...sums].map(([key, minutes]) => [key, Math.min(60, minutes)]));
}
