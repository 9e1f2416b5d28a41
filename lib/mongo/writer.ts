/**
 * Writes one batch of one lane and says, per item, what became of it. Throws only for
 * transient failures (the whole batch is retried; every write here is idempotent: history and
 * generic inserts carry an _id chosen before the first attempt, so a replay meets "duplicate
 * key" and counts as written; upserts and the production merge converge).
 */
import { DUPLICATE_KEY, hasWriteConcernError, isTransientError, isUncertainError, writeErrorsOf } from './errors';
import type { GenericItem, ProductionItem, SignalItem, StatusItem, WorkItem } from './intake';
import { COLLECTIONS, PIN_MAPPING_INDEX, SIGNAL_INDEXES, dayStart, mergeSnapshots, recordKey } from '../app-contract';
import type { BsonTypes, CollectionLike, DbLike, Doc } from './store';
import { driverDate } from '../shared/validate';

export interface Outcome {
  ok: boolean;
  /** Permanent failure: why (names the document or field). */
  error?: string;
  /** Written before (a replay) or nothing newer to write. */
  unchanged?: boolean;
}

export class TransientWriteError extends Error {
  /** `uncertain`: retried a few times only (see isUncertainError). */
  constructor(message: string, override readonly cause?: unknown, readonly uncertain = false) {
    super(message);
    this.name = 'TransientWriteError';
  }
}

/** A write that went through (shared: outcomes are only read). */
const WRITTEN: Outcome = Object.freeze({ ok: true });

/** Reference ids kept as ObjectIds (a plant has hundreds of sensors); beyond that the cache starts over. */
const REFERENCE_CACHE_SIZE = 10_000;

/** Compare-and-swap attempts on one production document before the batch is retried later. */
const CAS_ATTEMPTS = 8;

/**
 * Update operations sent in one command. FerretDB 1.x on SQLite keeps a pooled database
 * connection for every update of a command that matched a document until the command ends, and
 * its pool has 100: a command of about 100 such updates (the latest values of 100 sensors, the
 * status of 100 machines) waits for a connection forever, and the whole server with it. Every
 * update is a transaction there (milliseconds each), so a round trip per 20 costs little;
 * MongoDB itself takes any number.
 */
export const UPDATES_PER_COMMAND = 20;

export class BatchWriter {
  /**
   * Production merges redone because the document changed between read and write (another
   * writer or the application saved it): a measure of contention, e.g. two instances on one machine.
   */
  private casRetryCount = 0;
  /** The ObjectIds of sensors and machines, by hex: every reading names them, and parsing hex is much of a document's cost. */
  private readonly references = new Map<string, unknown>();

  constructor(private readonly bson: BsonTypes, private readonly now: () => Date = () => new Date()) {}

  get casRetries(): number {
    return this.casRetryCount;
  }

  private oid(hex: string): unknown {
    return new this.bson.ObjectId(hex);
  }

  /** A sensor's or machine's ObjectId, made once (the driver only reads it). */
  private reference(hex: string): unknown {
    let id = this.references.get(hex);
    if (id === undefined) {
      if (this.references.size >= REFERENCE_CACHE_SIZE) this.references.clear();
      id = this.oid(hex);
      this.references.set(hex, id);
    }
    return id;
  }

  async write(db: DbLike, kind: WorkItem['kind'], collection: string, items: WorkItem[]): Promise<Outcome[]> {
    const coll = db.collection(collection);
    try {
      switch (kind) {
        case 'history':
          return await this.insertAll(coll, this.historyDocs(items as SignalItem[]));
        case 'latest':
          return await this.upsertLatest(coll, items as SignalItem[]);
        case 'status':
          return await this.writeStatus(coll, items as StatusItem[]);
        case 'production':
          return await this.writeProduction(coll, collection, items as ProductionItem[]);
        case 'generic':
          return await this.writeGeneric(coll, items as GenericItem[]);
      }
    } catch (err) {
      if (err instanceof TransientWriteError) throw err;
      if (isTransientError(err) || hasWriteConcernError(err)) throw new TransientWriteError((err as Error).message, err);
      if (isUncertainError(err)) throw new TransientWriteError((err as Error).message, err, true);
      const message = (err as Error).message ?? String(err);
      return items.map(() => ({ ok: false, error: `${collection}: ${message}` }));
    }
  }

  private historyDocs(items: SignalItem[]): Doc[] {
    const now = this.now();
    return items.map((item) => ({
      _id: this.oid(item.id!),
      sensorId: this.reference(item.sensorId),
      machineId: this.reference(item.machineId),
      value: item.value,
      timestamp: driverDate(item.timestamp, 'timestamp'),
      createdAt: now,
      updatedAt: now,
    }));
  }

  /** Unordered insertMany; a duplicate _id means an earlier attempt already wrote it. */
  private async insertAll(coll: CollectionLike, docs: Doc[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(docs.length).fill(WRITTEN);
    try {
      await coll.insertMany(docs, { ordered: false });
      return outcomes;
    } catch (err) {
      // Only a server's answer for every document says what was written; a bulk error that
      // wraps a lost connection (no write errors, or fewer documents accounted for) means: retry
      // the whole batch. (mongo-java-server counts duplicates as inserted, hence "<".)
      const writeErrors = writeErrorsOf(err);
      const inserted = (err as { result?: { insertedCount?: number } }).result?.insertedCount;
      if (!writeErrors?.length || hasWriteConcernError(err) || inserted === undefined || inserted + writeErrors.length < docs.length) throw err;
      for (const we of writeErrors) {
        if (we.code === DUPLICATE_KEY) {
          outcomes[we.index] = { ok: true, unchanged: true };
        } else if (typeof we.code === 'number' && isTransientError({ code: we.code })) {
          throw new TransientWriteError(we.errmsg ?? we.message ?? `code ${we.code}`, err);
        } else {
          outcomes[we.index] = { ok: false, error: `document ${we.index} refused: ${we.errmsg ?? we.message ?? `code ${we.code}`}` };
        }
      }
      return outcomes;
    }
  }

  private async upsertLatest(coll: CollectionLike, items: SignalItem[]): Promise<Outcome[]> {
    const now = this.now();
    await updateInCommands(
      coll,
      items.map((i) => ({
        updateOne: {
          filter: { sensorId: this.reference(i.sensorId) },
          update: {
            $set: { machineId: this.reference(i.machineId), value: i.value, timestamp: driverDate(i.timestamp, 'timestamp'), updatedAt: now },
            $setOnInsert: { createdAt: now },
          },
          upsert: true,
        },
      })),
    );
    return items.map(() => WRITTEN);
  }

  private async writeStatus(coll: CollectionLike, items: StatusItem[]): Promise<Outcome[]> {
    const now = this.now();
    await updateInCommands(
      coll,
      items.map((i) => ({ updateOne: { filter: { _id: this.oid(i.machineId) }, update: { $set: { status: i.status, updatedAt: now } } } })),
    );
    const found = await coll.find({ _id: { $in: items.map((i) => this.oid(i.machineId)) } }, { projection: { _id: 1 } }).toArray();
    const ids = new Set(found.map((d) => (d._id as { toHexString(): string }).toHexString()));
    return items.map((i) => (ids.has(i.machineId) ? { ok: true } : { ok: false, error: `machines: no machine with _id ${i.machineId}` }));
  }

  private async writeProduction(coll: CollectionLike, collection: string, items: ProductionItem[]): Promise<Outcome[]> {
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const key = recordKey(item.snapshot);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const outcomes: Outcome[] = new Array(items.length);
    for (const indexes of groups.values()) {
      const changed = await this.mergeIntoRecord(coll, collection, indexes.map((i) => items[i]));
      for (const i of indexes) outcomes[i] = changed ? { ok: true } : { ok: true, unchanged: true };
    }
    return outcomes;
  }

  /**
   * Read, merge, write with compare-and-swap on updatedAt: when the application saved the
   * document in between, the write matches nothing and the merge is redone on its version.
   */
  private async mergeIntoRecord(coll: CollectionLike, collection: string, items: ProductionItem[]): Promise<boolean> {
    const { machineId, date } = items[0].snapshot;
    const filter = { machineId: this.oid(machineId), startTime: dayStart(date) };
    const bson = { objectId: (hex?: string) => new this.bson.ObjectId(hex) };
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      // The oldest document of the day, should an earlier writer have made two.
      const existing = await coll.findOne(filter, { sort: { _id: 1 } });
      const merged = mergeSnapshots(existing, items.map((i) => i.snapshot), bson, this.now());
      if (!merged.changed) return false;
      if (!existing) {
        const r = await coll.updateOne(filter, { $setOnInsert: merged.insert! }, { upsert: true });
        if (r.upsertedCount === 1) return true;
        this.casRetryCount += 1;
        continue; // created meanwhile: merge into that one
      }
      const r = await coll.updateOne({ _id: existing._id, updatedAt: existing.updatedAt }, { $set: merged.set! });
      if (r.matchedCount === 1) return true;
      this.casRetryCount += 1;
    }
    throw new TransientWriteError(`${collection} ${machineId} ${date}: the document kept changing during ${CAS_ATTEMPTS} attempts`);
  }

  private genericDoc(item: GenericItem, now: Date): Doc {
    const doc: Doc = { ...item.doc };
    for (const f of item.objectIdFields) {
      if (typeof doc[f] === 'string') doc[f] = this.oid(doc[f] as string);
    }
    if (item.id !== undefined) doc._id = this.oid(item.id);
    if (item.timestamps) {
      if (doc.createdAt === undefined) doc.createdAt = now;
      doc.updatedAt = now;
    }
    return doc;
  }

  private async writeGeneric(coll: CollectionLike, items: GenericItem[]): Promise<Outcome[]> {
    const now = this.now();
    const docs = items.map((i) => this.genericDoc(i, now));
    if (items[0].operation === 'insert') return this.insertAll(coll, docs);
    await updateInCommands(
      coll,
      docs.map((doc, n) => {
        const { _id, createdAt, ...fields } = doc;
        const filter: Doc = {};
        for (const k of items[n].key) filter[k] = doc[k];
        const onInsert: Doc = {};
        if (_id !== undefined) onInsert._id = _id;
        if (createdAt !== undefined) onInsert.createdAt = createdAt;
        return { updateOne: { filter, update: { $set: fields, ...(Object.keys(onInsert).length ? { $setOnInsert: onInsert } : {}) }, upsert: true } };
      }),
    );
    return items.map(() => WRITTEN);
  }
}

/**
 * Unordered bulk updates, UPDATES_PER_COMMAND to a command, one command after another; the first
 * error ends it (every update here is idempotent: the batch is retried or reported as a whole).
 */
async function updateInCommands(coll: CollectionLike, operations: Doc[]): Promise<void> {
  for (let first = 0; first < operations.length; first += UPDATES_PER_COMMAND) {
    await coll.bulkWrite(operations.slice(first, first + UPDATES_PER_COMMAND), { ordered: false });
  }
}

/** The application's indexes (lib/app-contract) for the collections we write. */
export async function ensureIndexes(db: DbLike, signalCollections: string[]): Promise<void> {
  for (const name of new Set(signalCollections)) {
    const coll = db.collection(name);
    for (const key of SIGNAL_INDEXES) await coll.createIndex({ ...key });
  }
  await db.collection(COLLECTIONS.pinMappings).createIndex({ ...PIN_MAPPING_INDEX.key }, { unique: PIN_MAPPING_INDEX.unique });
}
