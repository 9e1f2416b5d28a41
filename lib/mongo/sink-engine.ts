/**
 * The sink without Node-RED: messages in, batched idempotent writes out, nothing lost.
 * Each message gets a ticket; its done() is called once every item it produced is written
 * (done(err) names what failed for good; dropped items are counted and reported).
 */
import { Backoff } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';
import type { ContractMessage } from '../shared/messages';
import { isTransientError } from './errors';
import { intakeMessage, type IntakeConfig, type WorkItem } from './intake';
import { snapshotKey } from '../app-contract';
import { WriteQueue, type LaneSpec, type QueueEntry } from './queue';
import type { Spool } from './spool';
import type { BsonTypes, DbLike } from './store';
import { ConnectionRefusedError } from './supervisor';
import { ValidationError } from '../shared/validate';
import { BatchWriter, TransientWriteError, UPDATES_PER_COMMAND, ensureIndexes, type Outcome } from './writer';

/** Attempts at a batch the server keeps answering with an uncertain error before it fails. */
const UNCERTAIN_ATTEMPTS = 5;

/** The shortest bound on one attempt: a healthy batch of 1000 on a busy machine stays well inside it. */
export const MIN_ATTEMPT_LIMIT_MS = 10_000;

/**
 * How long one attempt at a batch (connection, indexes, writes) may go without an answer before
 * it is abandoned and retried: the retry cap, at least MIN_ATTEMPT_LIMIT_MS. The driver's own
 * timeouts do not cover every case: a write sent on a socket that the server has just closed
 * (destroyed, its 'close' not yet delivered) waits for a 'drain' that never comes, and
 * socketTimeoutMS cannot fire on a destroyed socket (test/runtime/mongo/outage.test.ts forces it).
 */
export function attemptLimitMs(config: Pick<IntakeConfig, 'retryMaxMs'>): number {
  return Math.max(config.retryMaxMs, MIN_ATTEMPT_LIMIT_MS);
}

/** An attempt that got no answer within its limit (abandoned: its late result is ignored). */
export class AttemptTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`no answer from MongoDB within ${limitMs} ms (the attempt is abandoned and retried)`);
    this.name = 'AttemptTimeoutError';
  }
}

export interface SinkStats {
  /**
   * Entries waiting: those a flush already saw and could not send (a backlog: the database is
   * away, or more than a batch came in). Neither the batch in flight nor what arrived since the
   * last flush, which are the steady state, not a backlog.
   */
  queued: number;
  inFlight: number;
  written: number;
  unchanged: number;
  dropped: number;
  failed: number;
  retrying: boolean;
  /** Production merges redone after a compare-and-swap miss (lib/mongo/writer.ts). */
  casRetries: number;
  lastError?: string;
}

export interface BatchReport {
  lane: string;
  kind: WorkItem['kind'];
  collection: string;
  written: number;
  unchanged: number;
  failed: number;
  errors: string[];
  durationMs: number;
}

export interface DropReport {
  kind: 'dropped';
  lanes: Record<string, number>;
  count: number;
  totalDropped: number;
}

export interface EngineOptions {
  /** The node's config and the package's timestamp window. */
  config: IntakeConfig;
  getDb: () => Promise<DbLike>;
  bson: BsonTypes;
  spool?: Spool<WorkItem>;
  onReport: (report: BatchReport | DropReport) => void;
  onStats: (stats: SinkStats) => void;
  warn: (warning: SinkWarning) => void;
  /**
   * An attempt was abandoned (AttemptTimeoutError): the operation it left behind may hold one of
   * the client's pooled connections for good, so the connection should replace its client.
   */
  onAbandoned?: (error: AttemptTimeoutError) => void;
  /** Redacts credentials from error text. */
  redact: (text: string) => string;
  now?: () => Date;
  /** Flush interval, retry pauses, batch durations (tests move a ManualClock). */
  clock?: Clock;
}

/** What the engine warns about; the node words it through its catalogue (`log.<key>`). */
export type SinkWarning =
  | { key: 'spoolCorrupt'; file: string; lines: number }
  | { key: 'queueFull'; count: number; policy: string; total: number }
  | { key: 'indexes'; error: string };

/** `dropped`: how many of the message's items the overflow policy dropped (not an error). */
type Done = (err?: Error, dropped?: number) => void;

/** Waits for all parts of one message. */
class Ticket {
  private remaining = 0;
  private dropped = 0;
  private readonly errors: string[] = [];
  constructor(private readonly done: Done) {}
  expect(parts: number): void {
    this.remaining += parts;
  }
  addError(text: string): void {
    this.errors.push(text);
  }
  settle(outcome: Outcome | 'dropped'): void {
    if (outcome === 'dropped') this.dropped++;
    else if (outcome.error) this.errors.push(outcome.error);
    if (--this.remaining === 0) this.finish();
  }
  finish(): void {
    this.done(this.errors.length ? new ValidationError('msg', this.errors.join('; ')) : undefined, this.dropped);
  }
}

/**
 * The most entries one batch of a lane takes. Updates go UPDATES_PER_COMMAND to a command, one
 * command after another (lib/mongo/writer.ts): a batch of one command each, started as soon as
 * the previous one is done and a command's worth waits, writes the same and settles its messages
 * one command after their values came in, not after the whole lane's round (the latest values of
 * 100 sensors are five commands: their messages waited up to two rounds and the flush tick).
 */
function batchLimit(item: WorkItem, batchSize: number): number {
  return isInsert(item) ? batchSize : Math.min(batchSize, UPDATES_PER_COMMAND);
}

/** History and generic inserts: each document carries its _id, so order does not matter and a replay changes nothing. */
function isInsert(item: WorkItem): boolean {
  return item.kind === 'history' || (item.kind === 'generic' && item.operation === 'insert');
}

/**
 * Full batches of an insert lane in flight at once while the lane is healthy: the server works
 * on one while the next is built, sent and queued, so it is not idle between batches (FerretDB's
 * own insertMany ceiling is ~6 % higher with two in flight than one at a time; bench/mongo.mjs).
 * Update lanes keep one: their values land in order, and FerretDB's connection limit (writer.ts).
 */
export const INSERT_BATCHES_IN_FLIGHT = 2;

function laneOf(item: WorkItem): { lane: string; spec: LaneSpec<WorkItem> } {
  switch (item.kind) {
    case 'history':
      return { lane: `history:${item.collection}`, spec: {} };
    case 'generic':
      return { lane: `generic-${item.operation}:${item.collection}`, spec: {} };
    case 'latest':
      return { lane: `latest:${item.collection}`, spec: { key: item.sensorId, newer: (a, b) => (a as typeof item).timestamp >= (b as typeof item).timestamp } };
    case 'status':
      return { lane: `status:${item.collection}`, spec: { key: item.machineId, newer: (a, b) => (a as typeof item).timestamp >= (b as typeof item).timestamp } };
    case 'production':
      return {
        lane: `production:${item.collection}`,
        spec: { key: snapshotKey(item.snapshot), newer: (a, b) => (a as typeof item).snapshot.revision >= (b as typeof item).snapshot.revision },
      };
  }
}

/** Rough size in memory and on the wire, for the queue's byte bound. */
export function estimateBytes(item: WorkItem): number {
  if (item.kind === 'history' || item.kind === 'latest') {
    const v = item.value;
    return 160 + (typeof v === 'string' ? v.length * 2 : typeof v === 'object' && v !== null ? JSON.stringify(v).length * 2 : 8);
  }
  return 100 + JSON.stringify(item).length * 2;
}

export class SinkEngine {
  private readonly queue: WriteQueue<WorkItem, Ticket>;
  private readonly writer: BatchWriter;
  private readonly stats: SinkStats = { queued: 0, inFlight: 0, written: 0, unchanged: 0, dropped: 0, failed: 0, retrying: false, casRetries: 0 };
  /** Lanes waiting to retry a failed batch: until when, and the timer that restarts them then. */
  private readonly backoff = new Map<string, { backoff: Backoff; until: number; timer?: unknown }>();
  private readonly inFlight = new Set<Promise<void>>();
  /** The lane writing each collection, and its batches in flight: one lane per collection at a time. */
  private readonly writing = new Map<string, { lane: string; batches: number }>();
  private readonly uncertainFailures = new Map<string, number>();
  /**
   * Transient failures of each lane so far. A batch that was in flight when a later one of its
   * lane failed neither clears that failure's pause by succeeding nor adds a pause of its own.
   */
  private readonly laneFailures = new Map<string, number>();
  private readonly laneKinds = new Map<string, { kind: WorkItem['kind']; collection: string; batchLimit: number; insert: boolean }>();
  private readonly clock: Clock;
  private timer: unknown;
  private waiting = 0;
  private flushScheduled = false;
  private indexesDone: boolean;
  private closed = false;
  private pendingDrops: Record<string, number> = {};

  constructor(private readonly options: EngineOptions) {
    const { config } = options;
    this.clock = options.clock ?? systemClock;
    this.queue = new WriteQueue({ maxEntries: config.maxEntries, maxBytes: config.maxMegabytes * 1024 * 1024, overflow: config.overflow });
    this.writer = new BatchWriter(options.bson, options.now);
    this.indexesDone = !config.createIndexes;
    if (options.spool) {
      for (const entry of options.spool.load()) this.enqueue(entry.item, undefined, entry.seq);
      if (options.spool.corruptLines) options.warn({ key: 'spoolCorrupt', file: options.spool.file, lines: options.spool.corruptLines });
    }
    this.tick();
    this.publishStats();
  }

  private tick(): void {
    this.timer = this.clock.setTimer(() => {
      this.tick();
      this.flush();
    }, Math.max(this.options.config.flushIntervalMs, 10));
  }

  private newId = (): string => new this.options.bson.ObjectId().toHexString();

  /**
   * Accepts a message. `done` is called once it is written (or failed for good); a message
   * that cannot be written at all throws its ValidationError (the caller passes it to done).
   */
  submit(msg: ContractMessage, done: Done): { skipped: string[] } {
    if (this.closed) throw new Error('the sink is closing');
    const intake = intakeMessage(msg, this.options.config, this.newId);
    const ticket = new Ticket(done);
    for (const err of intake.errors) ticket.addError(err.message);
    if (intake.items.length === 0) {
      ticket.finish();
      return { skipped: intake.skipped };
    }
    ticket.expect(intake.items.length);
    for (const item of intake.items) this.enqueue(item, ticket);
    this.publishStats();
    return { skipped: intake.skipped };
  }

  private enqueue(item: WorkItem, ticket: Ticket | undefined, seq?: number): void {
    const { lane, spec } = laneOf(item);
    let kind = this.laneKinds.get(lane);
    if (!kind) {
      kind = { kind: item.kind, collection: item.collection, batchLimit: batchLimit(item, this.options.config.batchSize), insert: isInsert(item) };
      this.laneKinds.set(lane, kind);
    }
    const limit = kind.batchLimit;
    const result = this.queue.add(lane, item, estimateBytes(item), ticket, spec, seq);
    const spool = this.options.spool;
    if (spool && seq === undefined && result.entry) spool.add({ seq: result.entry.seq, lane, key: spec.key, item, bytes: result.entry.bytes });
    if (result.coalesced && spool) spool.ack([result.coalesced.seq]);
    if (result.rejected) {
      this.countDrop(lane, 1);
      ticket?.settle('dropped');
    }
    if (result.dropped.length) {
      spool?.ack(result.dropped.map((e) => e.seq));
      for (const entry of result.dropped) {
        this.countDrop(entry.lane, 1);
        for (const t of entry.waiters) t.settle('dropped');
      }
    }
    if (this.queue.pendingIn(lane) >= limit) this.scheduleFlush();
  }

  private countDrop(lane: string, n: number): void {
    this.stats.dropped += n;
    this.pendingDrops[lane] = (this.pendingDrops[lane] ?? 0) + n;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Starts batches on the lanes that are not backing off, one lane per collection at a time (two
   * kinds of write may share one: e.g. generic inserts into the signal history).
   */
  flush(): void {
    this.reportDrops();
    if (this.closed) return;
    this.startBatches();
    this.publishStats();
  }

  /**
   * Starts batches on the lanes (only `onlyLane` when given) that are not backing off: a lane
   * with nothing in flight takes what waits; an insert lane that is not recovering from a failure
   * also sends further full batches, up to INSERT_BATCHES_IN_FLIGHT, unless another lane waits
   * for the same collection (a recovering lane sends one at a time, so each attempt counts once).
   */
  private startBatches(onlyLane?: string): void {
    const now = this.clock.now();
    const lanes = this.queue.waitingLanes();
    const waitingFor = new Map<string, number>();
    for (const lane of lanes) {
      const { collection } = this.laneKinds.get(lane.name)!;
      waitingFor.set(collection, (waitingFor.get(collection) ?? 0) + 1);
    }
    for (const lane of lanes) {
      if (onlyLane !== undefined && lane.name !== onlyLane) continue;
      const retry = this.backoff.get(lane.name);
      if (retry && retry.until > now) continue;
      const { collection, batchLimit: limit, insert } = this.laneKinds.get(lane.name)!;
      const writing = this.writing.get(collection);
      if (writing && writing.lane !== lane.name) continue;
      const maxInFlight = insert && !retry && waitingFor.get(collection) === 1 ? INSERT_BATCHES_IN_FLIGHT : 1;
      let { pending, batchesInFlight } = lane;
      while (pending > 0 && batchesInFlight < maxInFlight && (batchesInFlight === 0 || pending >= limit)) {
        const batch = this.queue.take(lane.name, limit, maxInFlight);
        if (batch.length === 0) break;
        // Whichever starts the retry (its timer, a tick, a full batch), it is started once.
        if (retry) this.clock.clearTimer(retry.timer);
        this.startBatch(lane.name, collection, batch);
        pending -= batch.length;
        batchesInFlight++;
      }
    }
    this.waiting = this.queue.entries - this.queue.inFlight;
  }

  private startBatch(lane: string, collection: string, batch: QueueEntry<WorkItem, Ticket>[]): void {
    const writing = this.writing.get(collection) ?? { lane, batches: 0 };
    writing.batches++;
    this.writing.set(collection, writing);
    const running = this.runBatch(lane, batch, this.laneFailures.get(lane) ?? 0).finally(() => {
      this.inFlight.delete(running);
      if (--writing.batches === 0) this.writing.delete(collection);
      // Full batches and retries that are due (this batch held their collection or place) go at
      // once; the rest waits for the flush interval.
      if (this.queue.waitingLanes().some((l) => l.pending >= this.laneKinds.get(l.name)!.batchLimit || this.retryDue(l.name))) this.scheduleFlush();
    });
    this.inFlight.add(running);
  }

  private retryDue(lane: string): boolean {
    const retry = this.backoff.get(lane);
    return retry !== undefined && retry.until <= this.clock.now();
  }

  /**
   * A failed batch is retried when its backoff says, on its own timer: the flush interval (up to
   * hours) must not add to the pause, nor a tick start it early.
   */
  private scheduleRetry(lane: string, retry: { until: number; timer?: unknown }): void {
    this.clock.clearTimer(retry.timer);
    retry.timer = this.clock.setTimer(() => {
      if (this.closed) return;
      this.startBatches(lane);
      this.publishStats();
    }, retry.until - this.clock.now());
  }

  private reportDrops(): void {
    const count = Object.values(this.pendingDrops).reduce((a, b) => a + b, 0);
    if (count === 0) return;
    this.options.onReport({ kind: 'dropped', lanes: this.pendingDrops, count, totalDropped: this.stats.dropped });
    this.options.warn({ key: 'queueFull', count, policy: this.options.config.overflow, total: this.stats.dropped });
    this.pendingDrops = {};
  }

  /** `failuresAtStart`: the lane's transient failures when the batch started (see laneFailures). */
  private async runBatch(lane: string, batch: QueueEntry<WorkItem, Ticket>[], failuresAtStart: number): Promise<void> {
    const { kind, collection } = this.laneKinds.get(lane)!;
    const started = this.clock.now();
    this.stats.inFlight += batch.length;
    let outcomes: Outcome[];
    try {
      outcomes = await this.bounded(this.attempt(kind, collection, batch));
    } catch (err) {
      // Only transient failures get here (no connection yet, lost connection, write conflicts
      // that persisted): the writer turns the server's refusals into per-item outcomes.
      this.stats.inFlight -= batch.length;
      if (err instanceof ConnectionRefusedError) {
        // The connection's settings are refused (e.g. a password in the flow): no retry helps.
        const error = this.options.redact(err.message);
        this.finishBatch(lane, batch, batch.map(() => ({ ok: false, error })), kind, collection, started, failuresAtStart);
        return;
      }
      if (failuresAtStart !== (this.laneFailures.get(lane) ?? 0) && this.backoff.has(lane)) {
        // Sent before a later batch of its lane failed: that failure's pause restarts the lane
        // (and its abandoned attempt already replaced the client).
        for (const entry of this.queue.retry(lane, batch)) this.options.spool?.ack([entry.seq]);
        this.waiting = this.queue.entries - this.queue.inFlight;
        this.publishStats();
        return;
      }
      if (err instanceof AttemptTimeoutError) this.options.onAbandoned?.(err);
      if (err instanceof TransientWriteError && err.uncertain) {
        const failures = (this.uncertainFailures.get(lane) ?? 0) + 1;
        this.uncertainFailures.set(lane, failures);
        if (failures >= UNCERTAIN_ATTEMPTS) {
          const error = `${collection}: ${this.options.redact(err.message)} (${failures} attempts)`;
          this.finishBatch(lane, batch, batch.map(() => ({ ok: false, error })), kind, collection, started, failuresAtStart);
          return;
        }
      }
      this.laneFailures.set(lane, (this.laneFailures.get(lane) ?? 0) + 1);
      const superseded = this.queue.retry(lane, batch);
      for (const entry of superseded) this.options.spool?.ack([entry.seq]);
      let retry = this.backoff.get(lane);
      if (!retry) {
        retry = { backoff: new Backoff({ initialMs: this.options.config.retryInitialMs, maxMs: this.options.config.retryMaxMs }), until: 0 };
        this.backoff.set(lane, retry);
      }
      retry.until = this.clock.now() + retry.backoff.next();
      this.scheduleRetry(lane, retry);
      this.waiting = this.queue.entries - this.queue.inFlight;
      this.stats.retrying = true;
      this.stats.lastError = this.options.redact((err as Error).message ?? String(err));
      this.publishStats();
      return;
    }
    this.stats.inFlight -= batch.length;
    this.finishBatch(lane, batch, outcomes, kind, collection, started, failuresAtStart);
  }

  private async attempt(kind: WorkItem['kind'], collection: string, batch: QueueEntry<WorkItem, Ticket>[]): Promise<Outcome[]> {
    const db = await this.options.getDb();
    if (!this.indexesDone) await this.createIndexes(db);
    return this.writer.write(db, kind, collection, batch.map((e) => e.item));
  }

  /**
   * The attempt, or an AttemptTimeoutError once it went without an answer for the attempt limit.
   * An abandoned attempt may still settle later; its outcome is ignored (every write is
   * idempotent, so the retry neither loses nor doubles anything).
   */
  private bounded(work: Promise<Outcome[]>): Promise<Outcome[]> {
    const limitMs = attemptLimitMs(this.options.config);
    let timer: unknown;
    const limit = new Promise<never>((_resolve, reject) => {
      timer = this.clock.setTimer(() => reject(new AttemptTimeoutError(limitMs)), limitMs);
    });
    work.catch(() => undefined); // an abandoned attempt's failure is no one's to handle
    return Promise.race([work, limit]).finally(() => this.clock.clearTimer(timer));
  }

  private finishBatch(
    lane: string,
    batch: QueueEntry<WorkItem, Ticket>[],
    outcomes: Outcome[],
    kind: WorkItem['kind'],
    collection: string,
    started: number,
    failuresAtStart: number,
  ): void {
    if (failuresAtStart === (this.laneFailures.get(lane) ?? 0)) {
      // The lane works again (a batch sent before its latest failure says nothing about that).
      this.clock.clearTimer(this.backoff.get(lane)?.timer);
      this.backoff.delete(lane);
      this.uncertainFailures.delete(lane);
    }
    this.stats.retrying = this.backoff.size > 0;
    this.queue.complete(lane, batch);
    this.options.spool?.ack(batch.map((e) => e.seq));
    const report: BatchReport = { lane, kind, collection, written: 0, unchanged: 0, failed: 0, errors: [], durationMs: this.clock.now() - started };
    batch.forEach((entry, i) => {
      const given = outcomes[i] ?? { ok: false, error: 'no result' };
      // Server messages may quote a connection string: redacted before anyone sees them.
      const outcome = given.error ? { ...given, error: this.options.redact(given.error) } : given;
      if (!outcome.ok) {
        report.failed++;
        if (report.errors.length < 10) report.errors.push(outcome.error!);
        this.stats.lastError = outcome.error;
      } else if (outcome.unchanged) report.unchanged++;
      else report.written++;
      for (const ticket of entry.waiters) ticket.settle(outcome);
    });
    this.stats.written += report.written;
    this.stats.unchanged += report.unchanged;
    this.stats.failed += report.failed;
    this.options.onReport(report);
    this.publishStats();
  }

  private async createIndexes(db: DbLike): Promise<void> {
    const { config } = this.options;
    const signals = [
      ...(config.signalMode === 'history' || config.signalMode === 'both' ? [config.historyCollection] : []),
      ...(config.signalMode === 'latest' || config.signalMode === 'both' ? [config.latestCollection] : []),
    ];
    try {
      await ensureIndexes(db, signals);
      this.indexesDone = true;
    } catch (err) {
      if (isTransientError(err)) throw err;
      this.indexesDone = true; // e.g. duplicate pinIds: the application's data, not ours to fix
      this.options.warn({ key: 'indexes', error: this.options.redact((err as Error).message) });
    }
  }

  private publishStats(): void {
    this.options.onStats(this.getStats());
  }

  getStats(): SinkStats {
    this.stats.queued = Math.max(0, Math.min(this.waiting, this.queue.entries - this.queue.inFlight));
    this.stats.casRetries = this.writer.casRetries;
    return { ...this.stats };
  }

  /**
   * Stops: writes what is still queued while the database answers (batches in flight and the
   * ones after them, up to `waitMs` in all), flushes the spool. Returns how many entries were
   * left unwritten (kept in the spool when there is one and its disk works).
   */
  async close(waitMs = 5000): Promise<number> {
    this.closed = true;
    this.clock.clearTimer(this.timer);
    for (const retry of this.backoff.values()) this.clock.clearTimer(retry.timer);
    const deadline = this.clock.now() + waitMs;
    // What arrived since the last flush is written now, not left behind as if it were a backlog.
    // Lanes that fail go into backoff and are not started again: the loop ends.
    for (;;) {
      this.startBatches();
      const left = deadline - this.clock.now();
      if (this.inFlight.size === 0 || left <= 0) break;
      let timer: unknown;
      const timedOut = await Promise.race([
        Promise.allSettled([...this.inFlight]).then(() => false),
        new Promise<boolean>((resolve) => (timer = this.clock.setTimer(() => resolve(true), left))),
      ]);
      this.clock.clearTimer(timer);
      if (timedOut) break;
    }
    this.reportDrops();
    this.options.spool?.close();
    return this.queue.entries;
  }
}
