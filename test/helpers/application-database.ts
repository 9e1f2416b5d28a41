/**
 * Nodes against the application's database in runtime tests: a database of the test's own on a
 * shared server, the mongo-connection that reaches it, and an hourly-aggregator using it.
 */
import type { Db } from 'mongodb';
import hourlyAggregator from '../../nodes/hourly-aggregator/hourly-aggregator';
import mongoConnection from '../../nodes/mongo-connection/mongo-connection';
import { DRIVER_SETTING, MONGO_CONNECTION_DEFAULTS } from '../../nodes/mongo-connection/types';
import type { DriverModule, MongoServerInfo } from './mongo-servers';
import { helper } from './node-red';

type ScratchTarget = { server: MongoServerInfo; driver: DriverModule };

/** A database of the test's own on a shared server, `<prefix>_<time>`. */
export interface ScratchDatabase {
  db: Db;
  name: string;
}

async function openScratchDatabase({ server, driver }: ScratchTarget, prefix: string): Promise<ScratchDatabase & { drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const client = new driver.MongoClient(server.uri);
  await client.connect();
  return {
    db: client.db(name),
    name,
    drop: async () => {
      await client.db(name).dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** A scratch database for `use`; dropped, and its client closed, whatever `use` did. */
export async function withScratchDatabase<T>(target: ScratchTarget, prefix: string, use: (db: Db, name: string) => Promise<T>): Promise<T> {
  const scratch = await openScratchDatabase(target, prefix);
  try {
    return await use(scratch.db, scratch.name);
  } finally {
    await scratch.drop();
  }
}

/**
 * withScratchDatabase as hooks of the enclosing describe: a new scratch database before each test,
 * dropped after it; the function gives it inside hooks and tests. Mocha runs a describe's
 * afterEach hooks in the order they were added: stop the nodes that write to the database in one
 * added before this, or a late write brings the dropped database back.
 */
export function useScratchDatabase(target: () => ScratchTarget, prefix: string): () => ScratchDatabase {
  let scratch: (ScratchDatabase & { drop(): Promise<void> }) | undefined;
  beforeEach(async () => {
    scratch = await openScratchDatabase(target(), prefix);
  });
  afterEach(async () => {
    await scratch?.drop();
    scratch = undefined;
  });
  return () => {
    if (!scratch) throw new Error('the scratch database is not open (use it inside hooks and tests)');
    return scratch;
  };
}

/** The mongo-connection config node (id "db") to `database`; `useDriverOf(server)` before loading it. */
export function mongoConnectionNode(server: Pick<MongoServerInfo, 'uri'>, database: string): Record<string, unknown> {
  return { id: 'db', type: 'mongo-connection', ...MONGO_CONNECTION_DEFAULTS, mode: 'uri', uri: server.uri, database };
}

/** The test helper's Node-RED settings name the driver module that reaches the server. */
export function useDriverOf(server: Pick<MongoServerInfo, 'driver'>): void {
  helper.settings({ [DRIVER_SETTING]: server.driver } as Parameters<typeof helper.settings>[0]);
}

/**
 * Loads an hourly-aggregator (id "agg", ticking every 0.2 s; `aggregator`: the settings that
 * differ) using a mongo-connection to `database`, and helper nodes `helpers` on its tab.
 */
export async function loadAggregatorWithDb(
  server: Pick<MongoServerInfo, 'uri' | 'driver'>, database: string, aggregator: Record<string, unknown>, helpers: string[],
): Promise<void> {
  useDriverOf(server);
  await helper.load([mongoConnection, hourlyAggregator] as Parameters<typeof helper.load>[0], [
    { id: 'tab', type: 'tab' },
    mongoConnectionNode(server, database),
    // restoreFromDb is left out, as in a flow saved before the setting existed: the node's default applies
    {
      id: 'agg', type: 'hourly-aggregator', z: 'tab', x: 100, y: 100, timeZone: 'UTC', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2, powerThresholdKw: 0.5,
      snapshotMinutes: 1, graceMinutes: 2, tickSeconds: 0.2, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false,
      store: '', mongo: 'db', timeoutsFromDb: false, ...aggregator,
    },
    ...helpers.map((id) => ({ id, type: 'helper', z: 'tab', x: 100, y: 100 })),
  ] as unknown as Parameters<typeof helper.load>[1]);
}
