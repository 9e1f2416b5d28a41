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

interface Lane<T, W> {
  name: string;
  keyed: boolean;
  newer?: (candidate: T, current: T) => boolean;
  /** FIFO lanes by seq, keyed lanes by key; Map keeps insertion order. */
  pending: Map<string | number, QueueEntry<T, W>>;
  inFlight: QueueEntry<T, W>[] | null;
}

export class WriteQueue<T, W> {
  private readonly lanes = new Map<string, Lane<T, W>>();
  private seq = 0;
  entries = 0;
  bytes = 0;

  constructor(private readonly limits: QueueLimits) {}

  /** Adds an item; `seq` may be given when restoring from the spool. */
  add(laneName: string, item: T, bytes: number, waiter: W | undefined, spec: LaneSpec<T> = {}, seq?: number): AddResult<T, W> & { entry?: QueueEntry<T, W> } {
    const lane = this.lane(laneName, spec);
    const entry: QueueEntry<T, W> = { seq: seq ?? ++this.seq, lane: laneName, item, bytes, waiters: waiter === undefined ? [] : [waiter] };
    if (seq !== undefined && seq > this.seq) this.seq = seq;
    if (lane.keyed) {
      entry.key = spec.key;
      const current = lane.pending.get(spec.key!);
      if (current) {
        if (!lane.newer || lane.newer(item, current.item)) {
          current.waiters.push(...entry.waiters);
          entry.waiters = current.waiters;
          lane.pending.set(spec.key!, entry); // keeps its place in the lane
          this.bytes += bytes - current.bytes;
          return { dropped: [], rejected: false, coalesced: current, entry };
        }
        current.waiters.push(...entry.waiters);
        return { dropped: [], rejected: false, coalesced: entry };
      }
      lane.pending.set(spec.key!, entry);
      this.count(entry, 1);
      return { dropped: this.makeRoom(null), rejected: false, entry };
    }
    const full = (): boolean => this.entries + 1 > this.limits.maxEntries || this.bytes + bytes > this.limits.maxBytes;
    if (full() && this.limits.overflow === 'drop-newest') return { dropped: [], rejected: true };
    const dropped = full() ? this.makeRoom(bytes) : [];
    if (full()) return { dropped, rejected: true };
    lane.pending.set(entry.seq, entry);
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
      lane = { name, keyed: spec.key !== undefined, newer: spec.newer, pending: new Map(), inFlight: null };
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
        const head = lane.pending.values().next();
        if (!head.done && head.value.seq < oldestSeq) {
          oldest = lane;
          oldestSeq = head.value.seq;
        }
      }
      if (!oldest) break;
      const entry = oldest.pending.get(oldestSeq)!;
      oldest.pending.delete(oldestSeq);
      this.count(entry, -1);
      dropped.push(entry);
    }
    return dropped;
  }

  /** Lanes with pending entries and no batch in flight. */
  idleLanes(): { name: string; pending: number; oldestSeq: number }[] {
    const out = [];
    for (const lane of this.lanes.values()) {
      if (lane.inFlight || lane.pending.size === 0) continue;
      out.push({ name: lane.name, pending: lane.pending.size, oldestSeq: lane.pending.values().next().value!.seq });
    }
    return out;
  }

  pendingIn(laneName: string): number {
    return this.lanes.get(laneName)?.pending.size ?? 0;
  }

  /** Takes up to `max` entries of a lane as its batch in flight. */
  take(laneName: string, max: number): QueueEntry<T, W>[] {
    const lane = this.lanes.get(laneName);
    if (!lane || lane.inFlight) return [];
    const batch: QueueEntry<T, W>[] = [];
    for (const [k, entry] of lane.pending) {
      if (batch.length >= max) break;
      batch.push(entry);
      lane.pending.delete(k);
    }
    lane.inFlight = batch;
    return batch;
  }

  /** The batch in flight is done (written, or failed for good): it leaves the queue. */
  complete(laneName: string): void {
    const lane = this.lanes.get(laneName);
    if (!lane?.inFlight) return;
    for (const entry of lane.inFlight) this.count(entry, -1);
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
    const front: [string | number, QueueEntry<T, W>][] = [];
    for (const entry of lane.inFlight) {
      if (!kept.has(entry)) {
        this.count(entry, -1);
        continue;
      }
      const newer = lane.keyed ? lane.pending.get(entry.key!) : undefined;
      if (newer) {
        newer.waiters.unshift(...entry.waiters);
        this.count(entry, -1);
        superseded.push(entry);
      } else {
        front.push([lane.keyed ? entry.key! : entry.seq, entry]);
      }
    }
    lane.pending = new Map([...front, ...lane.pending]);
    lane.inFlight = null;
    return superseded;
  }

  /** Every entry, pending and in flight (for the spool's compaction and for close). */
  *all(): Generator<QueueEntry<T, W>> {
    for (const lane of this.lanes.values()) {
      if (lane.inFlight) yield* lane.inFlight;
      yield* lane.pending.values();
    }
  }
}
