/**
 * The read engine behind plc-reader: groups signals by interval, reads each group on its
 * clock-anchored schedule through the shared S7 connection, turns results into Readings
 * (per-item quality: one bad address never drops the others), shapes output messages and
 * reports a change of the bad set once. Node-RED free; the node is a thin adapter.
 */
import type { S7Address } from '../s7/address';
import type { PreparedRead, ReadResult, S7ConnectionState } from '../s7/connection';
import type { ContractMessage, Reading } from '../shared/messages';
import { BadSetTracker, OutputShaper, type OutputOptions } from './output';
import { systemClock, type Clock } from '../shared/clock';
import { nextPhase, Scheduler } from './scheduler';
import { describeSignal, itemError, type ResolvedSignal } from './signals';

/** The part of S7Connection the engine uses (a device boundary). */
export interface ReadConnection {
  readonly state: S7ConnectionState;
  prepare(addresses: S7Address[]): PreparedRead;
  read(prepared: PreparedRead): Promise<ReadResult>;
}

export interface EngineCallbacks {
  /** Messages of a scheduled cycle. */
  emit(msgs: ContractMessage[]): void;
  /** The set of bad signals changed and is not empty: every bad signal's error, and the cycle's readings. */
  reportBad(errors: string[], readings: Reading[]): void;
}

export interface EngineStats {
  tags: number;
  groups: number;
  /** Planned S7 requests for one cycle of every group. */
  requestsPerCycle: number;
  /** How full those requests are against the PDU, 0..1, over all groups; undefined without requests. */
  pduUse?: number;
  /** Duration of the last read, ms. */
  cycleTimeMs: number;
  bad: number;
  overruns: number;
  skippedSlots: number;
  /** Scheduled cycles finished, of all groups since start: the achieved rate's count. */
  cycles: number;
}

interface Group {
  id: string;
  intervalMs: number;
  signals: ResolvedSignal[];
  prepared: PreparedRead;
}

export class ReaderEngine {
  private signals: ResolvedSignal[] = [];
  private groups: Group[] = [];
  private all: Group | undefined;
  private scheduler: Scheduler<ContractMessage[]> | undefined;
  private readonly shaper: OutputShaper;
  private readonly badSet = new BadSetTracker();
  private deadbands = new Map<string, number>();
  private lastCycleMs = 0;
  /** Overruns of schedules already stopped (signal list replaced, engine stopped): stats keep counting. */
  private retired = { overruns: 0, skippedSlots: 0, cycles: 0 };
  private running = false;
  /** Serialises signal replacement against start/stop. */
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: ReadConnection,
    output: OutputOptions,
    private readonly callbacks: EngineCallbacks,
    private readonly clock: Clock = systemClock,
    /** The schedule's phase (scheduler.ts); by default each engine takes the next one. */
    private readonly phase: number = nextPhase(),
  ) {
    this.shaper = new OutputShaper(output);
  }

  get signalNames(): string[] {
    return this.signals.map((s) => s.identity.name);
  }

  /** Replaces the signal list; a running engine restarts its schedule with the new groups. */
  setSignals(signals: ResolvedSignal[]): Promise<void> {
    this.transition = this.transition.then(async () => {
      const wasRunning = this.running;
      await this.halt();
      this.build(signals);
      if (wasRunning) this.launch();
    });
    return this.transition;
  }

  start(): Promise<void> {
    this.transition = this.transition.then(() => this.launch());
    return this.transition;
  }

  /** Stops scheduling; resolves when the reads in flight have finished. */
  stop(): Promise<void> {
    this.transition = this.transition.then(() => this.halt());
    return this.transition;
  }

  /** Reads every signal at once (an input message) and returns the messages, all sent regardless of change. */
  async readNow(): Promise<ContractMessage[]> {
    await this.transition;
    if (this.scheduler) return (await this.scheduler.trigger()) ?? [];
    // not scheduling yet (the first connect is under way): still answer, with whatever quality the read gets
    return this.all ? this.cycle(this.all, true) : [];
  }

  stats(): EngineStats {
    const { overruns, skippedSlots, cycles } = this.overrunsOf(this.scheduler);
    return {
      tags: this.signals.length,
      groups: this.groups.length,
      requestsPerCycle: this.groups.reduce((n, g) => n + g.prepared.requestCount, 0),
      pduUse: this.pduUse(),
      cycleTimeMs: this.lastCycleMs,
      bad: this.badSet.size,
      overruns: this.retired.overruns + overruns,
      skippedSlots: this.retired.skippedSlots + skippedSlots,
      cycles: this.retired.cycles + cycles,
    };
  }

  /** The groups' PDU use, weighted by their requests. */
  private pduUse(): number | undefined {
    let requests = 0;
    let used = 0;
    for (const g of this.groups) {
      const use = g.prepared.pduUse;
      if (use === undefined) continue;
      requests += g.prepared.requestCount;
      used += use * g.prepared.requestCount;
    }
    return requests > 0 ? used / requests : undefined;
  }

  private overrunsOf(scheduler: Scheduler<ContractMessage[]> | undefined): { overruns: number; skippedSlots: number; cycles: number } {
    let overruns = 0;
    let skippedSlots = 0;
    let cycles = 0;
    for (const g of this.groups) {
      const s = scheduler?.stats(g.id);
      overruns += s?.overruns ?? 0;
      skippedSlots += s?.skippedSlots ?? 0;
      cycles += s?.cycles ?? 0;
    }
    return { overruns, skippedSlots, cycles };
  }

  private build(signals: ResolvedSignal[]): void {
    this.signals = signals;
    this.deadbands = new Map(signals.map((s) => [s.identity.name, s.deadband]));
    this.badSet.retain(new Set(this.deadbands.keys()));
    this.shaper.reset();
    const byInterval = new Map<number, ResolvedSignal[]>();
    for (const s of signals) {
      const list = byInterval.get(s.intervalMs);
      if (list) list.push(s);
      else byInterval.set(s.intervalMs, [s]);
    }
    this.groups = [...byInterval.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([intervalMs, list]) => this.group(`${intervalMs}ms`, intervalMs, list));
    this.all = this.groups.length === 1 ? this.groups[0] : this.group('all', 0, signals);
  }

  private group(id: string, intervalMs: number, signals: ResolvedSignal[]): Group {
    return { id, intervalMs, signals, prepared: this.connection.prepare(signals.map((s) => s.address)) };
  }

  private launch(): void {
    this.running = true;
    const groups = new Map(this.groups.map((g) => [g.id, g]));
    this.scheduler = new Scheduler<ContractMessage[]>(
      this.groups,
      async (id) => {
        const group = groups.get(id);
        if (!group) return;
        // no readings before the first connect has had its chance: a deploy is not an outage
        if (this.connection.state === 'connecting') return;
        const msgs = await this.cycle(group, false);
        if (msgs.length > 0) this.callbacks.emit(msgs);
      },
      () => (this.all ? this.cycle(this.all, true) : Promise.resolve([])),
      this.clock,
      this.phase,
    );
    this.scheduler.start();
  }

  private async halt(): Promise<void> {
    this.running = false;
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.stop();
    const stopped = this.overrunsOf(scheduler);
    this.retired.overruns += stopped.overruns;
    this.retired.skippedSlots += stopped.skippedSlots;
    this.retired.cycles += stopped.cycles;
  }

  private async cycle(group: Group, force: boolean): Promise<ContractMessage[]> {
    if (group.signals.length === 0) return [];
    const readings = await this.read(group);
    const errors = this.badSet.update(readings);
    if (errors) this.callbacks.reportBad(errors, readings);
    return this.shaper.shape(readings, (name) => this.deadbands.get(name) ?? 0, force);
  }

  private async read(group: Group): Promise<Reading[]> {
    try {
      const result = await this.connection.read(group.prepared);
      this.lastCycleMs = result.durationMs;
      return group.signals.map((s, i): Reading => {
        const item = result.items[i];
        if (item?.ok) return { signal: s.identity, value: item.value, quality: 'good', timestamp: result.timestamp };
        return {
          signal: s.identity,
          value: null,
          quality: 'bad',
          error: itemError(s.identity, item?.error),
          timestamp: result.timestamp,
        };
      });
    } catch (err) {
      // the link failed or is down: every item of the group is bad, with the connection's reason
      const timestamp = this.clock.now();
      const reason = err instanceof Error ? err.message : String(err);
      return group.signals.map((s): Reading => ({
        signal: s.identity, value: null, quality: 'bad', error: `${describeSignal(s.identity)}: ${reason}`, timestamp,
      }));
    }
  }
}
