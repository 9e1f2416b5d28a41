/**
 * What the deployed edge counters ask of a reader's interval, for the reader's dialog: each
 * counter in an edge mode registers how it judges the sampling of its keys
 * (lib/production/sampling-advisor.ts); GET plc-reader/:id/advice gathers the counters the
 * reader's readings reach along the wires. Node-RED free: the node passes the wiring in.
 */

/** One key of a counter: the phases it measured and the interval that reads them safely. */
export interface KeySampling {
  key: string;
  /** The shortest phase the key has shown since it was first counted, ms; null until one has ended. */
  shortestPhaseMs: number | null;
  /** Mean width of the shorter phase at the current interval, ms; null when unknown (shorter than a reading, or none judged yet). */
  pulseMs: number | null;
  /** The interval to read these pulses at, with room for jitter, ms; null: no advice yet. */
  readEveryMs: number | null;
  /** The slowest interval that still reads them about 2 times; slower misses units, ms; null: no advice yet. */
  slowestSafeMs: number | null;
  /** The current interval misses units. */
  tooSlow: boolean;
}

export interface CounterSampling {
  nodeId: string;
  name: string;
  /** Empty until the counter has seen readings. */
  keys: KeySampling[];
}

/** The interval a reader must not exceed, and the key that asks for it. */
export interface AskedInterval {
  readEveryMs: number;
  counter: string;
  key: string;
  /** null: pulses shorter than a reading. */
  pulseMs: number | null;
  /** The slowest interval any key reads safely (the counters' own verdict), ms. */
  slowestSafeMs: number;
}

export interface ReaderAdvice {
  readerId: string;
  /** The deployed reader's interval, ms (resolved from ${ENV}). */
  intervalMs: number;
  counters: CounterSampling[];
  /** The fastest reading any counter asks for; undefined while none has advice. */
  asked?: AskedInterval;
  /** The deployed interval is slower than a counter reads safely. */
  tooSlow: boolean;
}

/** What a deployed counter registers: its name and its keys' sampling at a time. */
export interface CounterSource {
  name: string;
  sampling(now: number): KeySampling[];
}

/** The deployed edge counters (edge modes) by node id. */
export const counterSamplings = new Map<string, CounterSource>();

/** A node's outputs as the runtime wires them: per output, the ids of the nodes it feeds. */
export type WiresOf = (nodeId: string) => readonly (readonly string[])[] | undefined;

/** Ids of the nodes reachable from `startId` along wires (through any node in between), `startId` excluded. */
export function downstreamOf(startId: string, wiresOf: WiresOf): Set<string> {
  const reached = new Set<string>();
  const todo = [startId];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    for (const output of wiresOf(id) ?? []) {
      for (const next of output) {
        if (next === startId || reached.has(next)) continue;
        reached.add(next);
        todo.push(next);
      }
    }
  }
  return reached;
}

/** The advice of the counters fed by a reader: every counter reached along its wires, sorted by name. */
export function readerAdvice(
  readerId: string,
  intervalMs: number,
  wiresOf: WiresOf,
  counters: ReadonlyMap<string, CounterSource>,
  now: number,
): ReaderAdvice {
  const fed: CounterSampling[] = [];
  for (const id of downstreamOf(readerId, wiresOf)) {
    const source = counters.get(id);
    if (source) fed.push({ nodeId: id, name: source.name, keys: source.sampling(now) });
  }
  fed.sort((a, b) => a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId));
  let asked: AskedInterval | undefined;
  for (const counter of fed) {
    for (const k of counter.keys) {
      if (k.readEveryMs === null || k.slowestSafeMs === null) continue;
      const slowestSafeMs = Math.min(k.slowestSafeMs, asked?.slowestSafeMs ?? Infinity);
      asked = !asked || k.readEveryMs < asked.readEveryMs
        ? { readEveryMs: k.readEveryMs, counter: counter.name, key: k.key, pulseMs: k.pulseMs, slowestSafeMs }
        : { ...asked, slowestSafeMs };
    }
  }
  return { readerId, intervalMs, counters: fed, ...(asked ? { asked } : {}), tooSlow: asked !== undefined && intervalMs > asked.slowestSafeMs };
}
