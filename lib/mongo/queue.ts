/**
 * The sink's bounded write queue. Lanes (one per collection and kind of write) are flushed
 * separately with at most one batch in flight each. FIFO lanes (raw readings, generic documents)
 * may be dropped under the overflow policy; keyed lanes (latest value per sensor, production
 * snapshot per machine-hour, status per machine) coalesce (the newest wins) and are never
 * dropped: they are bounded by the number of keys, not by time.
 */

export interface QueueEntry<T, W> {
  seq: number;
  lane: string;
  key?: string;
  item: T;
  bytes: number;
  /** Whoever waits for this entry to be written (coalesced entries pass theirs on). */
  waiters: W[];
}

export interface LaneSpec<T> {
  /** Coalescing key; absent for FIFO lanes. */
  key?: string;
  /** For keyed lanes: true when `candidate` should replace `current`. */
  newer?: (candidate: T, current: T) => boolean;
}

export interface QueueLimits {
  maxEntries: number;
  maxBytes: number;
  overflow: 'drop-oldest' | 'drop-newest';
}

export interface AddResult<T, W> {
  /** Entries dropped to make room (their waiters learn the data is lost). */
  dropped: QueueEntry<T, W>[];
  /** The new entry itself was refused (drop-newest, or nothing older to drop). */
  rejected: boolean;
  /** An entry whose data the new one superseded (or that superseded the new one's data). */
  coalesced?: QueueEntry<T, W>;
}

/**
 * An array with a moving head: O(1) at both ends where it matters. (A Map used as a FIFO slows
 * down quadratically: iteration from the start walks over every deleted slot.)
 */
class Fifo<E> {
  private items: (E | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }
  first(): E | undefined {
    return this.items[this.head];
  }
  push(item: E): void {
    this.items.push(item);
  }
  shift(): E | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  prepend(list: E[]): void {
    this.items = [...list, ...this.items.slice(this.head)];
    this.head = 0;
  }
  *values(): Generator<E> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

interface Lane<T, W> {
  name: string;
  keyed: boolean;
  newer?: (candidate: T, current: T) => boolean;
  /** FIFO lanes. */
  fifo: Fifo<QueueEntry<T, W>>;
  /** Keyed lanes, by key; a Map keeps insertion order. */
  byKey: Map<string, QueueEntry<T, W>>;
  inFlight: QueueEntry<T, W>[] | null;
}

function pendingSize<T, W>(lane: Lane<T, W>): number {
  return lane.keyed ? lane.byKey.size : lane.fifo.size;
}

export class WriteQueue<T, W> {
  private readonly lanes = new Map<string, Lane<T, W>>();
  private seq = 0;
  entries = 0;
  bytes = 0;
  /** Entries of the batches in flight (part of `entries`). */
  inFlight = 0;

  constructor(private readonly limits: QueueLimits) {}

  /** Adds an item; `seq` may be given when restoring from the spool. */
  add(laneName: string, item: T, bytes: number, waiter: W | undefined, spec: LaneSpec<T> = {}, seq?: number): AddResult<T, W> & { entry?: QueueEntry<T, W> } {
    const lane = this.lane(laneName, spec);
    const entry: QueueEntry<T, W> = { seq: seq ?? ++this.seq, lane: laneName, item, bytes, waiters: waiter === undefined ? [] : [waiter] };
    if (seq !== undefined && seq > this.seq) this.seq = seq;
    if (lane.keyed) {
      entry.key = spec.key;
      const current = lane.byKey.get(spec.key!);
      if (current) {
        if (!lane.newer || lane.newer(item, current.item)) {
          current.waiters.push(...entry.waiters);
          entry.waiters = current.waiters;
          lane.byKey.set(spec.key!, entry); // keeps its place in the lane
          this.bytes += bytes - current.bytes;
          return { dropped: [], rejected: false, coalesced: current, entry };
        }
        current.waiters.push(...entry.waiters);
        return { dropped: [], rejected: false, coalesced: entry };
      }
      lane.byKey.set(spec.key!, entry);
      this.count(entry, 1);
      return { dropped: this.makeRoom(null), rejected: false, entry };
    }
    const full = (): boolean => this.entries + 1 > this.limits.maxEntries || this.bytes + bytes > this.limits.maxBytes;
    if (full() && this.limits.overflow === 'drop-newest') return { dropped: [], rejected: true };
    const dropped = full() ? this.makeRoom(bytes) : [];
    if (full()) return { dropped, rejected: true };
    lane.fifo.push(entry);
    this.count(entry, 1);
    return { dropped, rejected: false, entry };
  }

  private count(entry: QueueEntry<T, W>, sign: 1 | -1): void {
    this.entries += sign;
    this.bytes += sign * entry.bytes;
  }

  private lane(name: string, spec: LaneSpec<T>): Lane<T, W> {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { name, keyed: spec.key !== undefined, newer: spec.newer, fifo: new Fifo(), byKey: new Map(), inFlight: null };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** Drops the oldest pending FIFO entries until one more of `incoming` bytes fits (or none is left). */
  private makeRoom(incoming: number | null): QueueEntry<T, W>[] {
    const dropped: QueueEntry<T, W>[] = [];
    const over = (): boolean =>
      incoming === null
        ? this.entries > this.limits.maxEntries || this.bytes > this.limits.maxBytes
        : this.entries + 1 > this.limits.maxEntries || this.bytes + incoming > this.limits.maxBytes;
    while (over()) {
      let oldest: Lane<T, W> | undefined;
      let oldestSeq = Infinity;
      for (const lane of this.lanes.values()) {
        if (lane.keyed) continue;
        const head = lane.fifo.first();
        if (head && head.seq < oldestSeq) {
          oldest = lane;
          oldestSeq = head.seq;
        }
      }
      if (!oldest) break;
      const entry = oldest.fifo.shift()!;
      this.count(entry, -1);
      dropped.push(entry);
    }
    return dropped;
  }

  /** Lanes with pending entries and no batch in flight. */
  idleLanes(): { name: string; pending: number }[] {
    const out = [];
    for (const lane of this.lanes.values()) {
      const pending = pendingSize(lane);
      if (lane.inFlight || pending === 0) continue;
      out.push({ name: lane.name, pending });
    }
    return out;
  }

  pendingIn(laneName: string): number {
    const lane = this.lanes.get(laneName);
    return lane ? pendingSize(lane) : 0;
  }

  /** Takes up to `max` entries of a lane as its batch in flight. */
  take(laneName: string, max: number): QueueEntry<T, W>[] {
    const lane = this.lanes.get(laneName);
    if (!lane || lane.inFlight) return [];
    const batch: QueueEntry<T, W>[] = [];
    if (lane.keyed) {
      for (const [k, entry] of lane.byKey) {
        if (batch.length >= max) break;
        batch.push(entry);
        lane.byKey.delete(k);
      }
    } else {
      while (batch.length < max && lane.fifo.size > 0) batch.push(lane.fifo.shift()!);
    }
    lane.inFlight = batch;
    this.inFlight += batch.length;
    return batch;
  }

  /** The batch in flight is done (written, or failed for good): it leaves the queue. */
  complete(laneName: string): void {
    const lane = this.lanes.get(laneName);
    if (!lane?.inFlight) return;
    for (const entry of lane.inFlight) this.count(entry, -1);
    this.inFlight -= lane.inFlight.length;
    lane.inFlight = null;
  }

  /**
   * The batch in flight goes back to the head of its lane, except entries a newer pending one
   * supersedes meanwhile (those hand their waiters over and leave; they are returned).
   */
  retry(laneName: string, keep: QueueEntry<T, W>[]): QueueEntry<T, W>[] {
    const lane = this.lanes.get(laneName);
    if (!lane?.inFlight) return [];
    const kept = new Set(keep);
    const superseded: QueueEntry<T, W>[] = [];
    const front: QueueEntry<T, W>[] = [];
    for (const entry of lane.inFlight) {
      if (!kept.has(entry)) {
        this.count(entry, -1);
        continue;
      }
      const newer = lane.keyed ? lane.byKey.get(entry.key!) : undefined;
      if (newer) {
        newer.waiters.unshift(...entry.waiters);
        this.count(entry, -1);
        superseded.push(entry);
      } else {
        front.push(entry);
      }
    }
    if (lane.keyed) lane.byKey = new Map([...front.map((e): [string, QueueEntry<T, W>] => [e.key!, e]), ...lane.byKey]);
    else lane.fifo.prepend(front);
    this.inFlight -= lane.inFlight.length;
    lane.inFlight = null;
    return superseded;
  }

  /** Every entry, pending and in flight (for the spool's compaction and for close). */
  *all(): Generator<QueueEntry<T, W>> {
    for (const lane of this.lanes.values()) {
      if (lane.inFlight) yield* lane.inFlight;
      yield* lane.keyed ? lane.byKey.values() : lane.fifo.values();
    }
  }
}
