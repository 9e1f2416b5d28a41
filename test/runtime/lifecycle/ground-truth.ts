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
