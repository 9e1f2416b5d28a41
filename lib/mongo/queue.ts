/**
 * The sink's bounded write queue. Lanes (one per collection and kind of write) are flushed
 * separately; how many batches of a lane may be in flight at once is the caller's rule (take's
 * `maxInFlight`). FIFO lanes (raw readings, generic documents)
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
 * An array with a moving head, in `seq` order: O(1) at both ends where it matters. (A Map used as
 * a FIFO slows down quadratically: iteration from the start walks over every deleted slot.)
 */
class Fifo<E extends { seq: number }> {
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
  /**
   * Puts entries taken earlier back in `seq` order: another batch of the lane may have come back
   * before them, with later entries.
   */
  putBack(list: E[]): void {
    const rest = this.items.slice(this.head) as E[]; // past the head, every slot holds an entry
    const merged: E[] = [];
    let i = 0;
    let j = 0;
    while (i < list.length && j < rest.length) merged.push(list[i].seq < rest[j].seq ? list[i++] : rest[j++]);
    this.items = merged.concat(list.slice(i), rest.slice(j));
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
  /** The lane's batches in flight. */
  inFlight: QueueEntry<T, W>[][];
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
      lane = { name, keyed: spec.key !== undefined, newer: spec.newer, fifo: new Fifo(), byKey: new Map(), inFlight: [] };
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

  /** Lanes with pending entries: how many, and how many batches of the lane are in flight. */
  waitingLanes(): { name: string; pending: number; batchesInFlight: number }[] {
    const out = [];
    for (const lane of this.lanes.values()) {
      const pending = pendingSize(lane);
      if (pending === 0) continue;
      out.push({ name: lane.name, pending, batchesInFlight: lane.inFlight.length });
    }
    return out;
  }

  pendingIn(laneName: string): number {
    const lane = this.lanes.get(laneName);
    return lane ? pendingSize(lane) : 0;
  }

  /** Takes up to `max` entries of a lane as a batch in flight, unless `maxInFlight` batches of it already are. */
  take(laneName: string, max: number, maxInFlight = 1): QueueEntry<T, W>[] {
    const lane = this.lanes.get(laneName);
    if (!lane || lane.inFlight.length >= maxInFlight) return [];
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
    if (batch.length === 0) return batch;
    lane.inFlight.push(batch);
    this.inFlight += batch.length;
    return batch;
  }

  /** Removes `batch` (as take returned it) from its lane's batches in flight; undefined when it is not one. */
  private land(laneName: string, batch: QueueEntry<T, W>[]): Lane<T, W> | undefined {
    const lane = this.lanes.get(laneName);
    const at = lane ? lane.inFlight.indexOf(batch) : -1;
    if (!lane || at < 0) return undefined;
    lane.inFlight.splice(at, 1);
    this.inFlight -= batch.length;
    return lane;
  }

  /** A batch in flight is done (written, or failed for good): it leaves the queue. */
  complete(laneName: string, batch: QueueEntry<T, W>[]): void {
    if (!this.land(laneName, batch)) return;
    for (const entry of batch) this.count(entry, -1);
  }

  /**
   * A batch in flight goes back to the head of its lane (in seq order), except entries a newer
   * pending one supersedes meanwhile (those hand their waiters over and leave; they are returned).
   */
  retry(laneName: string, batch: QueueEntry<T, W>[]): QueueEntry<T, W>[] {
    const lane = this.land(laneName, batch);
    if (!lane) return [];
    const superseded: QueueEntry<T, W>[] = [];
    const front: QueueEntry<T, W>[] = [];
    for (const entry of batch) {
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
    else lane.fifo.putBack(front);
    return superseded;
  }

  /** Every entry, pending and in flight (for the spool's compaction and for close). */
  *all(): Generator<QueueEntry<T, W>> {
    for (const lane of this.lanes.values()) {
      for (const batch of lane.inFlight) yield* batch;
      yield* lane.keyed ? lane.byKey.values() : lane.fifo.values();
    }
  }
}
