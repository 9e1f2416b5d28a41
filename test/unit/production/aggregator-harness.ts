/** An hourly aggregator on an injected clock, with everything it emitted collected. */
import { HourlyAggregator, type AggregatorOptions } from '../../../lib/production/hourly-aggregator';
import type { HourSnapshot, MachineStatusEvent } from '../../../lib/shared/messages';

export const M1 = 'aaaaaaaaaaaaaaaaaaaaaaaa';
export const M2 = 'bbbbbbbbbbbbbbbbbbbbbbbb';
export const at = (iso: string): number => Date.parse(iso);
export const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export class Harness {
  now = 0;
  readonly agg: HourlyAggregator;
  readonly snapshots: HourSnapshot[] = [];
  readonly statuses: MachineStatusEvent[] = [];

  constructor(options: Partial<AggregatorOptions> = {}, restored?: unknown) {
    this.agg = new HourlyAggregator({ timeZone: 'UTC', ...options }, () => this.now, restored);
  }

  private collect(out: { snapshots: HourSnapshot[]; statuses: MachineStatusEvent[] }): void {
    this.snapshots.push(...out.snapshots);
    this.statuses.push(...out.statuses);
  }

  power(t: number, machineId = M1, kw?: number, powered = true): this {
    this.now = Math.max(this.now, t);
    this.collect(this.agg.observe({ kind: 'power', machineId, timestamp: t, powered, ...(kw === undefined ? {} : { kw }) }));
    return this;
  }

  cycle(t: number, machineId = M1): this {
    this.now = Math.max(this.now, t);
    this.collect(this.agg.observe({ kind: 'cycle', machineId, timestamp: t }));
    return this;
  }

  units(t: number, delta = 1, machineId = M1): this {
    this.now = Math.max(this.now, t);
    this.collect(this.agg.observe({ kind: 'units', machineId, timestamp: t, delta }));
    return this;
  }

  /** Power and one unit every `every` ms in [from, to]. */
  produce(from: number, to: number, every: number, machineId = M1): this {
    for (let t = from; t <= to; t += every) this.power(t, machineId).units(t, 1, machineId);
    return this;
  }

  tick(t: number): this {
    this.now = t;
    this.collect(this.agg.tick());
    return this;
  }

  /** Ticks every `every` ms from the current time to t. */
  tickUntil(t: number, every = 5000): this {
    for (let x = this.now + every; x <= t; x += every) this.tick(x);
    return this;
  }

  /** The latest snapshot emitted for a slot. */
  latest(date: string, hour: number, machineId = M1): HourSnapshot | undefined {
    return this.snapshots.filter((s) => s.machineId === machineId && s.date === date && s.hour === hour).at(-1);
  }

  /** The current view of a slot, from the aggregator's held state. */
  current(date: string, hour: number, machineId = M1): HourSnapshot | undefined {
    return this.agg.snapshotsOf(machineId).filter((s) => s.date === date && s.hour === hour).at(-1);
  }

  transitions(machineId = M1): string[] {
    return this.statuses.filter((s) => s.machineId === machineId).map((s) => `${iso(s.timestamp)} ${s.previous ?? '-'}>${s.status}`);
  }
}
