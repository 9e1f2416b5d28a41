/**
 * Turns a cycle's readings into the reader's output messages (docs/ARCHITECTURE.md):
 * one per signal, one per cycle, or per signal on change only (deadband, BOOL edges,
 * quality changes) with a heartbeat "send at least every N s".
 */
import type { ContractMessage, Reading } from '../shared/messages';

export type OutputMode = 'per-signal' | 'per-cycle' | 'on-change';
export const OUTPUT_MODES: readonly OutputMode[] = ['per-signal', 'per-cycle', 'on-change'];

export interface OutputOptions {
  mode: OutputMode;
  /** On-change: send a signal at least this often (ms, by source time); 0 = only on change. */
  heartbeatMs: number;
}

/** One per-signal message. */
export function signalMessage(r: Reading): ContractMessage {
  const msg: ContractMessage = {
    topic: r.signal.name,
    payload: r.value,
    signal: r.signal,
    quality: r.quality,
    timestamp: r.timestamp,
  };
  if (r.error !== undefined) msg.error = r.error;
  return msg;
}

/**
 * One per-cycle message: payload keyed by signal name, the readings beside it. Built as own
 * data properties: a name can never reach the payload's prototype (resolveSignals refuses
 * reserved names; this holds for any name), and the payload stays a plain object for users'
 * function nodes.
 */
export function cycleMessage(readings: Reading[]): ContractMessage {
  const payload: Record<string, unknown> = Object.fromEntries(readings.map((r) => [r.signal.name, r.value]));
  const timestamp = readings.reduce((t, r) => Math.max(t, r.timestamp), 0);
  return { payload, readings, timestamp };
}

interface LastSent {
  value: unknown;
  quality: Reading['quality'];
  at: number;
}

/** True when two values differ for on-change purposes; numbers beyond the deadband. */
export function changed(previous: unknown, next: unknown, deadband: number): boolean {
  if (typeof previous === 'number' && typeof next === 'number') {
    if (Number.isNaN(previous) || Number.isNaN(next)) return Number.isNaN(previous) !== Number.isNaN(next);
    return Math.abs(next - previous) > deadband;
  }
  if (typeof previous !== 'object' || typeof next !== 'object' || previous === null || next === null) {
    return previous !== next;
  }
  return JSON.stringify(previous) !== JSON.stringify(next);
}

export class OutputShaper {
  private readonly lastSent = new Map<string, LastSent>();

  constructor(private readonly options: OutputOptions) {}

  /**
   * The messages for one cycle's readings. deadbandOf gives a signal's deadband (on-change);
   * force sends every reading regardless of change (a read someone asked for).
   */
  shape(readings: Reading[], deadbandOf: (name: string) => number, force = false): ContractMessage[] {
    if (readings.length === 0) return [];
    switch (this.options.mode) {
      case 'per-cycle':
        return [cycleMessage(readings)];
      case 'per-signal':
        return readings.map(signalMessage);
      case 'on-change':
        return readings.filter((r) => this.due(r, deadbandOf(r.signal.name), force)).map(signalMessage);
    }
  }

  /** Forgets what was sent (signals replaced): the next reading of each is sent. */
  reset(): void {
    this.lastSent.clear();
  }

  private due(r: Reading, deadband: number, force: boolean): boolean {
    const last = this.lastSent.get(r.signal.name);
    const heartbeat = this.options.heartbeatMs;
    const send = force
      || last === undefined
      || last.quality !== r.quality
      || (r.quality === 'good' && changed(last.value, r.value, deadband))
      || (heartbeat > 0 && r.timestamp - last.at >= heartbeat);
    if (send) this.lastSent.set(r.signal.name, { value: r.value, quality: r.quality, at: r.timestamp });
    return send;
  }
}

/**
 * Tracks which signals are bad so a read error is reported once per change of the bad
 * set, not every cycle.
 */
export class BadSetTracker {
  private readonly bad = new Map<string, string>();

  /**
   * Updates with a cycle's readings (of any group); returns the error of every bad signal
   * when the set of bad names changed and is not empty, else undefined.
   */
  update(readings: Reading[]): string[] | undefined {
    let changedSet = false;
    for (const r of readings) {
      if (r.quality === 'bad') {
        if (!this.bad.has(r.signal.name)) changedSet = true;
        this.bad.set(r.signal.name, r.error ?? `signal "${r.signal.name}" (${r.signal.address}): bad`);
      } else if (this.bad.delete(r.signal.name)) {
        changedSet = true;
      }
    }
    if (!changedSet || this.bad.size === 0) return undefined;
    return [...this.bad.values()];
  }

  get size(): number {
    return this.bad.size;
  }

  /** Forgets signals no longer configured. */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.bad.keys()]) if (!names.has(name)) this.bad.delete(name);
  }
}
