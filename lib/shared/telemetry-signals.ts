/**
 * The reader's live view while tuning: per signal, the current value and quality, when it last
 * changed and the shortest pulse (high phase of a boolean) seen, all from the readings the
 * deployed reader sends, so the dialog needs no PLC connection of its own. Pulse widths are as
 * sampled: a multiple of the interval, which is what tells whether the interval is fast enough.
 */
import type { Quality, Reading } from './messages';

export interface SignalLive {
  name: string;
  address: string;
  value: unknown;
  quality: Quality;
  error?: string;
  /** When the value (or quality) last changed, epoch ms of the reading. */
  changedAt: number;
  /** The shortest high phase seen of a boolean signal, ms; undefined until one has ended. */
  shortestPulseMs?: number;
}

export interface LiveView {
  nodeId: string;
  signals: SignalLive[];
}

/** Values compared by their JSON form: readings carry plain values (numbers, strings, dates as strings, small objects). */
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

export class SignalWatch {
  private readonly signals = new Map<string, SignalLive & { risingAt?: number }>();

  constructor(readonly nodeId: string) {}

  observe(readings: readonly Reading[]): void {
    for (const r of readings) {
      const known = this.signals.get(r.signal.name);
      if (!known) {
        this.signals.set(r.signal.name, {
          name: r.signal.name, address: r.signal.address, value: r.value, quality: r.quality, error: r.error, changedAt: r.timestamp,
          risingAt: undefined, shortestPulseMs: undefined,
        });
        continue;
      }
      known.address = r.signal.address;
      if (known.quality === r.quality && same(known.value, r.value)) continue;
      if (r.quality === 'good' && known.quality === 'good') {
        if (known.value === false && r.value === true) known.risingAt = r.timestamp;
        if (known.value === true && r.value === false && known.risingAt !== undefined) {
          const width = r.timestamp - known.risingAt;
          if (width >= 0) known.shortestPulseMs = Math.min(known.shortestPulseMs ?? width, width);
          known.risingAt = undefined;
        }
      } else {
        known.risingAt = undefined; // a bad reading in between: the phase's width is unknown
      }
      Object.assign(known, { value: r.value, quality: r.quality, error: r.error, changedAt: r.timestamp });
    }
  }

  /** Drops signals no longer read (the signal list changed). */
  retain(names: readonly string[]): void {
    const keep = new Set(names);
    for (const name of this.signals.keys()) if (!keep.has(name)) this.signals.delete(name);
  }

  view(): LiveView {
    return {
      nodeId: this.nodeId,
      signals: [...this.signals.values()].map(({ risingAt: _risingAt, ...s }) => s),
    };
  }
}

/** The deployed readers' watches by node id, for the admin endpoint GET /plc-reader/:id/live. */
export const signalWatches = new Map<string, SignalWatch>();
