/**
 * Ground truth of edge-mode counts (the two-instances and simulated-hour tests): the simulator's
 * log of each pulse, less what the edge counter said it could not see (its gap warnings in
 * Node-RED's log). Pure; instants are epoch ms on one clock.
 */
import type { PulseRecord } from '../../helpers/simulator';

/** A gap in the readings of a machine, as the edge counter's warning reports it (epoch ms). */
export interface ReportedGap {
  machineId: string;
  from: number;
  to: number;
}

const GAP_WARNING = /\[edge-counter:[^\]]*\] gap in the readings of "([0-9a-f]{24})" from (\S+) to (\S+) \(/;

export function reportedGaps(log: readonly string[]): ReportedGap[] {
  return log.flatMap((line) => {
    const m = GAP_WARNING.exec(line);
    return m ? [{ machineId: m[1], from: Date.parse(m[2]), to: Date.parse(m[3]) }] : [];
  });
}

/** What a machine's stored units must be: at least its pulses outside every reported gap of it, at most all its pulses. */
export function expectedUnits(pulses: readonly PulseRecord[], gaps: readonly Pick<ReportedGap, 'from' | 'to'>[]): { least: number; most: number } {
  const overlaps = (p: PulseRecord) => gaps.some((g) => p.rise <= g.to && (p.fall ?? Number.POSITIVE_INFINITY) >= g.from);
  return { least: pulses.filter((p) => !overlaps(p)).length, most: pulses.length };
}
