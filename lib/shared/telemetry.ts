/**
 * Live telemetry: the registry the package's nodes report into and the editor's
 * "S7 production" sidebar shows (plugins/s7-production-sidebar). Node-RED free. Reports are
 * plain numbers and states, never settings or credentials (error texts arrive redacted), so a
 * snapshot can go to every editor as it is. Listeners hear at most about once a second.
 */
import type { HourSnapshot, MachineStatus, MachineStatusEvent } from './messages';
import { figuresOf } from '../app-contract/snapshot';
import { Throttle } from './node-kit';

export const TELEMETRY_TOPIC = 's7-production/telemetry';
export const TELEMETRY_INTERVAL_MS = 1000;
/** Cycle times kept per reader for the sidebar's chart. */
export const CYCLE_HISTORY = 60;

export interface ReaderTelemetry {
  nodeId: string;
  name: string;
  state: string;
  intervalMs: number;
  ratePerS: number | undefined;
  tags: number;
  requestsPerCycle: number;
  /** The PDU size negotiated with the PLC: with requests per cycle, how much of the link a cycle uses. */
  pduSize: number | undefined;
  /** How full the cycle's requests are against the PDU, 0..1 (lib/s7/planner.ts pduUse); undefined before a plan. */
  pduUse?: number;
  overruns: number;
  bad: number;
  /** The last read's duration at each status refresh (about once a second), ms, oldest first. */
  cycleTimesMs: number[];
}

export interface MachineTelemetry {
  machineId: string;
  /** The aggregator that reports it. */
  nodeId: string;
  status: MachineStatus | undefined;
  date: string;
  hour: number;
  /** The hour's figures (lib/app-contract figuresOf): units, running and stoppage minutes. */
  units: number;
  running: number;
  stopped: number;
}

export interface SinkTelemetry {
  nodeId: string;
  name: string;
  writtenPerS: number;
  written: number;
  queued: number;
  spooled: number;
  failed: number;
  dropped: number;
  lastError?: string;
}

export interface TelemetrySnapshot {
  at: number;
  readers: ReaderTelemetry[];
  machines: MachineTelemetry[];
  sinks: SinkTelemetry[];
}

export interface ReaderSample extends Omit<ReaderTelemetry, 'cycleTimesMs'> {
  cycleTimeMs: number;
}

export interface SinkSample extends Omit<SinkTelemetry, 'writtenPerS'> {
  at: number;
}

/** Long enough to average over several cycles at the slowest usual interval (1 s). */
export const RATE_WINDOW_MS = 5000;

/**
 * Events per second over a sliding window, from a running count sampled now and then. Measured
 * against the time it is given, so a busy machine shows as a lower rate, which is what an
 * engineer checking a retune needs to see.
 */
export class RateMeter {
  private samples: Array<{ at: number; count: number }> = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /** Records the count at `at` and returns the rate over the window, or undefined before a second has passed. */
  sample(at: number, count: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (last && (count < last.count || at < last.at)) this.samples = []; // a restarted count or clock: start over
    this.samples.push({ at, count });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const span = at - first.at;
    return span >= 1000 ? ((count - first.count) * 1000) / span : undefined;
  }
}

export class TelemetryRegistry {
  private readonly readers = new Map<string, ReaderTelemetry>();
  private readonly machines = new Map<string, MachineTelemetry>();
  private readonly sinks = new Map<string, SinkTelemetry>();
  private readonly sinkRates = new Map<string, RateMeter>();
  private readonly listeners = new Set<(snapshot: TelemetrySnapshot) => void>();
  private readonly throttle: Throttle;

  constructor(private readonly now: () => number = Date.now, intervalMs = TELEMETRY_INTERVAL_MS) {
    this.throttle = new Throttle(intervalMs, () => this.publish());
  }

  /** A reader's state at a status refresh; its last cycle time joins the chart's history. */
  reader(sample: ReaderSample): void {
    const history = this.readers.get(sample.nodeId)?.cycleTimesMs ?? [];
    this.readers.set(sample.nodeId, {
      nodeId: sample.nodeId, name: sample.name, state: sample.state, intervalMs: sample.intervalMs, ratePerS: sample.ratePerS,
      tags: sample.tags, requestsPerCycle: sample.requestsPerCycle, pduSize: sample.pduSize, overruns: sample.overruns, bad: sample.bad,
      cycleTimesMs: [...history, Math.round(sample.cycleTimeMs * 10) / 10].slice(-CYCLE_HISTORY),
      ...(sample.pduUse === undefined ? {} : { pduUse: sample.pduUse }),
    });
    this.changed();
  }

  /** An aggregator's output: the newest hour per machine and each machine's status changes. */
  production(nodeId: string, out: { snapshots: HourSnapshot[]; statuses: MachineStatusEvent[] }): void {
    for (const s of out.snapshots) {
      const key = `${nodeId}/${s.machineId}`;
      const known = this.machines.get(key);
      if (known && (known.date > s.date || (known.date === s.date && known.hour > s.hour))) continue; // a late final of an earlier hour
      this.machines.set(key, {
        // until the aggregator reports a status change (after a restart), the hour's own status
        machineId: s.machineId, nodeId, status: known?.status ?? s.status, date: s.date, hour: s.hour,
        ...figuresOf(s),
      });
    }
    for (const e of out.statuses) {
      const key = `${nodeId}/${e.machineId}`;
      const known = this.machines.get(key);
      this.machines.set(key, known ? { ...known, status: e.status } : {
        machineId: e.machineId, nodeId, status: e.status, date: '', hour: 0, units: 0, running: 0, stopped: 0,
      });
    }
    if (out.snapshots.length > 0 || out.statuses.length > 0) this.changed();
  }

  /** A sink's counters; written per second is measured over a sliding window of its reports. */
  sink(sample: SinkSample): void {
    let meter = this.sinkRates.get(sample.nodeId);
    if (!meter) this.sinkRates.set(sample.nodeId, (meter = new RateMeter()));
    this.sinks.set(sample.nodeId, {
      nodeId: sample.nodeId, name: sample.name, written: sample.written, queued: sample.queued, spooled: sample.spooled,
      failed: sample.failed, dropped: sample.dropped, lastError: sample.lastError, writtenPerS: meter.sample(sample.at, sample.written) ?? 0,
    });
    this.changed();
  }

  /** A node closed: its entries leave the sidebar. */
  remove(nodeId: string): void {
    this.readers.delete(nodeId);
    this.sinks.delete(nodeId);
    this.sinkRates.delete(nodeId);
    for (const [key, m] of this.machines) if (m.nodeId === nodeId) this.machines.delete(key);
    this.changed();
  }

  snapshot(): TelemetrySnapshot {
    const byName = <T extends { name: string; nodeId: string }>(a: T, b: T): number => a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId);
    return {
      at: this.now(),
      readers: [...this.readers.values()].sort(byName),
      machines: [...this.machines.values()].sort((a, b) => a.machineId.localeCompare(b.machineId) || a.nodeId.localeCompare(b.nodeId)),
      sinks: [...this.sinks.values()].sort(byName),
    };
  }

  /** Hears snapshots, at most one per interval; returns the unsubscribe. */
  subscribe(listener: (snapshot: TelemetrySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    this.throttle.close();
  }

  private changed(): void {
    if (this.listeners.size > 0) this.throttle.request();
  }

  private publish(): void {
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }
}

/**
 * The runtime's one registry: nodes and the sidebar plugin load this module from the same
 * package, so they share it.
 */
export const telemetry = new TelemetryRegistry();
