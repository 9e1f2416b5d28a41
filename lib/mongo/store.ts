/**
 * The part of the MongoDB driver the writer uses: small enough to read at a glance, and the
 * same for driver 6.x and 7.x (the package supports both).
 */
export type Doc = Record<string, unknown>;

export interface UpdateResultLike {
  matchedCount: number;
  modifiedCount: number;
  upsertedCount: number;
}

export interface CollectionLike {
  insertMany(docs: Doc[], options: { ordered: false }): Promise<unknown>;
  bulkWrite(operations: Doc[], options: { ordered: false }): Promise<unknown>;
  findOne(filter: Doc, options?: Doc): Promise<Doc | null>;
  find(filter: Doc, options?: Doc): { toArray(): Promise<Doc[]> };
  updateOne(filter: Doc, update: Doc, options?: Doc): Promise<UpdateResultLike>;
  createIndex(keys: Doc, options?: Doc): Promise<string>;
}

export interface DbLike {
  collection(name: string): CollectionLike;
}

/** BSON constructors of the driver in use (a document must be built with its own driver's types). */
export interface BsonTypes {
  ObjectId: new (hex?: string) => { toHexString(): string };
}
