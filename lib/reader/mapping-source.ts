/**
 * Loads the application's pin mappings from MongoDB and joins them in code (no $lookup, so
 * it works on every MongoDB-compatible server). The database comes from a small interface
 * the mongo-connection config node implements (lib/mongo/connection-handle.ts).
 */
import type { Db } from 'mongodb';
import { readPinMappingDocs, type MachineScope } from '../app-contract';
import { joinPinMappings, type MappingJoinResult } from './mapping-join';
import type { SignalRow } from './signals';

/** What the reader needs of a MongoDB connection: the configured database. */
export interface MongoDbSource {
  /** Rejects (without credentials in the message) when the server cannot be reached in waitMs. */
  getDb(options?: { waitMs?: number }): Promise<Db>;
}

export function isMongoDbSource(value: unknown): value is MongoDbSource {
  return !!value && typeof (value as MongoDbSource).getDb === 'function';
}

/** Reads the application's pin mappings with their sensors and machines, and joins them. */
export async function loadPinMappings(source: MongoDbSource, knownPins: readonly string[], waitMs?: number, scope?: MachineScope): Promise<MappingJoinResult> {
  const { mappings, sensors, machines } = await readPinMappingDocs(await source.getDb({ waitMs }));
  return joinPinMappings(mappings, sensors, machines, knownPins, scope);
}

export interface MappingPollerOptions {
  source: MongoDbSource;
  knownPins: readonly string[];
  refreshMs: number;
  /** This instance's share of the machines; undefined = all. */
  scope?: MachineScope;
  /** Polling interval given to mapped rows; undefined = the reader's interval. */
  intervalMs?: number;
  /** A new (different) list of mapped rows. */
  onRows(rows: SignalRow[], otherShare: number): void;
  /** Mappings left out, when that list changed. */
  onSkipped(skipped: string[]): void;
  /** A failed refresh, once per distinct error; undefined when a refresh works again. */
  onError(error: string | undefined): void;
}

/**
 * Re-reads the mappings every refreshMs so a mapping added in the application is read
 * without a redeploy. Reports only changes, and an outage once: no log flood while the database is down.
 */
export class MappingPoller {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private lastRows: string | undefined;
  private lastSkipped = '';
  /** The outage reported (its first cause), until a refresh succeeds. */
  private reportedOutage: string | undefined;

  constructor(private readonly options: MappingPollerOptions) {}

  /** Loads now, then every refreshMs. */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Stops refreshing; resolves when a refresh in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private tick(): void {
    this.inFlight = this.refresh().finally(() => {
      this.inFlight = undefined;
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.options.refreshMs);
    });
  }

  private async refresh(): Promise<void> {
    const o = this.options;
    try {
      const { rows, skipped, otherShare } = await loadPinMappings(o.source, o.knownPins, Math.min(o.refreshMs, 10_000), o.scope);
      if (this.stopped) return;
      if (this.reportedOutage !== undefined) {
        this.reportedOutage = undefined;
        o.onError(undefined);
      }
      const withInterval = o.intervalMs ? rows.map((r) => ({ ...r, intervalMs: o.intervalMs })) : rows;
      const key = JSON.stringify(withInterval);
      if (key !== this.lastRows) {
        this.lastRows = key;
        o.onRows(withInterval, otherShare);
      }
      const skippedKey = skipped.join('\n');
      if (skippedKey !== this.lastSkipped) {
        this.lastSkipped = skippedKey;
        if (skipped.length > 0) o.onSkipped(skipped);
      }
    } catch (err) {
      if (this.stopped) return;
      // Once per outage: its cause may read differently from one refresh to the next (a
      // connection closed, then refused), which is still the same outage.
      if (this.reportedOutage === undefined) {
        this.reportedOutage = `reading the sensor pin mappings from MongoDB: ${err instanceof Error ? err.message : String(err)}`;
        o.onError(this.reportedOutage);
      }
    }
  }
}
