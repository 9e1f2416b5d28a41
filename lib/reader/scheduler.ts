/**
 * Clock-anchored polling of signal groups. Each group runs at anchor + k * interval, so
 * timer lateness never accumulates into drift; a group never overlaps itself: a cycle that
 * runs past its next slot skips the missed slots and counts an overrun. Triggered reads
 * (an input message) run at once, besides the schedule, and coalesce while one is pending.
 *
 * A schedule has a phase: the first cycle runs at start, the second phase × interval later, then
 * one per interval. Readers started together (a deploy) get different phases (nextPhase), so
 * their reads, and the messages they send on, do not all fall on the same moment every cycle.
 */

import { systemClock, type Clock } from '../shared/clock';

export interface ScheduledGroup {
  id: string;
  intervalMs: number;
}

export interface GroupStats {
  /** Cycles completed. */
  cycles: number;
  /** Cycles that ran past their next slot. */
  overruns: number;
  /** Slots skipped because a cycle was still running. */
  skippedSlots: number;
  /** Duration of the last completed cycle, ms. */
  lastDurationMs: number;
  /** Start of the next scheduled cycle, epoch ms (undefined while running or stopped). */
  nextAt: number | undefined;
}

/** Runs one cycle of a group; must not reject (rejections are counted as finished cycles). */
export type GroupRunner = (groupId: string) => Promise<void>;

interface GroupState extends GroupStats {
  group: ScheduledGroup;
  slot: number;
  timer: unknown;
  running: Promise<void> | undefined;
}

const GOLDEN_RATIO_FRACTION = 0.6180339887498949;
let phasesGiven = 0;

/**
 * The next schedule's phase, in (0, 1]: 1, 0.38, 0.76, 0.15, … (each falls into the largest gap
 * left). Measured with 50 readers deployed together (bench/fleet.mjs): with one phase, their
 * cycles ran back to back in one stretch of the event loop every interval, and Node-RED's copies
 * of their messages held fs.readFile up for 36 ms at p99.
 */
export function nextPhase(): number {
  return 1 - ((phasesGiven++ * GOLDEN_RATIO_FRACTION) % 1);
}

export class Scheduler<T = void> {
  private readonly groups: GroupState[];
  private anchor = 0;
  private stopped = true;
  private triggerRunning: Promise<T | undefined> | undefined;
  private triggerPending: Promise<T | undefined> | undefined;

  constructor(
    groups: readonly ScheduledGroup[],
    private readonly run: GroupRunner,
    private readonly triggerRun: () => Promise<T>,
    private readonly clock: Clock = systemClock,
    /** Where the second cycle falls, as a fraction of the interval after the first: (0, 1]. */
    private readonly phase = 1,
  ) {
    if (!(phase > 0 && phase <= 1)) throw new RangeError(`schedule phase must be in (0, 1], got ${phase}`);
    for (const g of groups) {
      if (!Number.isFinite(g.intervalMs) || g.intervalMs <= 0) {
        throw new RangeError(`group "${g.id}": interval must be a positive number of ms, got ${g.intervalMs}`);
      }
    }
    this.groups = groups.map((group) => ({
      group, slot: 0, timer: undefined, running: undefined,
      cycles: 0, overruns: 0, skippedSlots: 0, lastDurationMs: 0, nextAt: undefined,
    }));
  }

  /** Starts every group's first cycle now; the anchor is now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.anchor = this.clock.now();
    for (const g of this.groups) this.arm(g, 0);
  }

  /** Stops scheduling and resolves once every running cycle and triggered read has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const g of this.groups) {
      if (g.timer !== undefined) this.clock.clearTimer(g.timer);
      g.timer = undefined;
      g.nextAt = undefined;
    }
    await Promise.all([...this.groups.map((g) => g.running), this.triggerRunning, this.triggerPending]);
  }

  stats(groupId: string): GroupStats | undefined {
    const g = this.groups.find((s) => s.group.id === groupId);
    if (!g) return undefined;
    const { cycles, overruns, skippedSlots, lastDurationMs, nextAt } = g;
    return { cycles, overruns, skippedSlots, lastDurationMs, nextAt };
  }

  /**
   * An immediate read outside the schedule. While one runs, further triggers share a
   * single follow-up read (which then sees the newest state), so a burst of input messages
   * cannot queue unbounded work. Resolves with the read's result (undefined when stopped
   * or when the read failed).
   */
  trigger(): Promise<T | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    if (this.triggerPending) return this.triggerPending;
    if (this.triggerRunning) {
      this.triggerPending = this.triggerRunning.then(() => {
        this.triggerPending = undefined;
        if (this.stopped) return undefined;
        this.triggerRunning = this.runTrigger();
        return this.triggerRunning;
      });
      return this.triggerPending;
    }
    this.triggerRunning = this.runTrigger();
    return this.triggerRunning;
  }

  private async runTrigger(): Promise<T | undefined> {
    try {
      return await this.triggerRun();
    } catch {
      // the runner reports its own errors; a rejection only ends this read
      return undefined;
    } finally {
      this.triggerRunning = undefined;
    }
  }

  private arm(g: GroupState, slot: number): void {
    g.slot = slot;
    g.nextAt = this.slotTime(g, slot);
    const delay = Math.max(0, g.nextAt - this.clock.now());
    g.timer = this.clock.setTimer(() => this.fire(g), delay);
  }

  /** Slot 0 is the start; slot k ≥ 1 comes (phase + k − 1) intervals after it. */
  private slotTime(g: GroupState, slot: number): number {
    return slot === 0 ? this.anchor : this.anchor + (this.phase + slot - 1) * g.group.intervalMs;
  }

  private fire(g: GroupState): void {
    g.timer = undefined;
    g.nextAt = undefined;
    if (this.stopped) return;
    const started = this.clock.now();
    g.running = this.run(g.group.id)
      .catch(() => undefined)
      .then(() => {
        const finished = this.clock.now();
        g.running = undefined;
        g.cycles++;
        g.lastDurationMs = finished - started;
        if (this.stopped) return;
        const interval = g.group.intervalMs;
        // the first slot not yet past, never before the one that follows this cycle
        const next = Math.max(g.slot + 1, Math.ceil((finished - this.anchor) / interval - this.phase) + 1);
        const skipped = next - (g.slot + 1);
        if (skipped > 0) {
          g.overruns++;
          g.skippedSlots += skipped;
        }
        this.arm(g, next);
      });
  }
}
