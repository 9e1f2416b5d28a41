/** The mongo-connection config node's settings and credentials (shared by runtime and editor). */
export {
  AUTH_MECHANISMS,
  DEFAULT_DATABASE,
  MONGO_CONNECTION_DEFAULTS,
  type AuthMechanism,
  type MongoConnectionConfig,
  type MongoConnectionCredentials,
} from '../../lib/mongo/connection-config';

export const MONGO_CONNECTION_TYPE = 'mongo-connection';

/** Node-RED setting naming the driver module to load (e.g. "mongodb6" to reach wire version 8 servers). */
export const DRIVER_SETTING = 's7productionMongoDriver';

/** The same choice from the environment (`npm start`, systemd); the setting wins when both are set. */
export const DRIVER_ENV = 'S7P_MONGO_DRIVER';
