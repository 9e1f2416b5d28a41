/**
 * How a mongo-connection's settings and credentials become a MongoClient's connection string
 * and options (runtime only: reads the TLS files).
 */
import { readFileSync } from 'node:fs';
import {
  AUTH_MECHANISMS,
  DEFAULT_DATABASE,
  MONGO_CONNECTION_DEFAULTS,
  READ_PREFERENCES,
  type AuthMechanism,
  type ReadPreference,
  type MongoConnectionConfig,
  type MongoConnectionCredentials,
} from './connection-config';
import { configReader } from './config-reader';
import type { ConnectionProblem } from './connection-handle';
import { formatMongoUri, parseMongoUri, type MongoUriParts } from './uri';

/** What a MongoClient is made from. `uri` carries no credentials; they go in `options.auth`. */
export interface ClientSettings {
  uri: string;
  options: Record<string, unknown>;
  databaseName: string;
  /** Strings to redact from anything logged. */
  secrets: string[];
}

/**
 * Settings the runtime refuses to connect with; `problem` says which (the node words it through
 * its catalogue). Retrying cannot help: only a change of the flow or the environment can.
 */
export class ConnectionSettingsError extends Error {
  constructor(readonly problem: Exclude<ConnectionProblem, 'old-server'>, message: string) {
    super(message);
    this.name = 'ConnectionSettingsError';
  }
}

export interface SettingsSource {
  /**
   * The URI is an environment variable reference in the flow (`${MONGODB_URI}`): a password in
   * it never reaches the flow file, so it is accepted.
   */
  uriFromEnvironment?: boolean;
}

/** Merges a stored config with the defaults (older flows lack newer fields; numbers may be text). */
export function normalizeConnectionConfig(raw: Partial<Record<keyof MongoConnectionConfig, unknown>>): MongoConnectionConfig {
  const d = MONGO_CONNECTION_DEFAULTS;
  const { str, bool, num } = configReader(raw, d);
  const mechanism = str('authMechanism') as AuthMechanism;
  return {
    name: str('name'),
    mode: raw.mode === 'host' ? 'host' : 'uri',
    uri: str('uri'),
    host: str('host') || d.host,
    port: num('port', 1),
    database: str('database'),
    authSource: str('authSource'),
    authMechanism: AUTH_MECHANISMS.includes(mechanism) ? mechanism : '',
    tls: bool('tls'),
    tlsCAFile: str('tlsCAFile'),
    tlsCertFile: str('tlsCertFile'),
    tlsKeyFile: str('tlsKeyFile'),
    tlsAllowInvalidCertificates: bool('tlsAllowInvalidCertificates'),
    appName: str('appName'),
    maxPoolSize: num('maxPoolSize', 1),
    connectTimeoutMS: num('connectTimeoutMS'),
    serverSelectionTimeoutMS: num('serverSelectionTimeoutMS'),
    socketTimeoutMS: num('socketTimeoutMS'),
    writeConcern: str('writeConcern'),
    journal: bool('journal'),
    wtimeoutMS: num('wtimeoutMS'),
    readPreference: READ_PREFERENCES.includes(str('readPreference') as ReadPreference) ? (str('readPreference') as ReadPreference) : '',
  };
}

/**
 * Connection string, options and database name for a config. Reads the TLS files (their
 * contents go to the driver), so it throws an Error naming a file that cannot be read.
 */
export function buildClientSettings(config: MongoConnectionConfig, credentials: MongoConnectionCredentials, source: SettingsSource = {}): ClientSettings {
  let parts: MongoUriParts;
  if (config.mode === 'host') {
    parts = { scheme: 'mongodb', hosts: `${config.host}:${config.port}`, query: '' };
  } else {
    try {
      parts = parseMongoUri(config.uri);
    } catch (err) {
      throw new ConnectionSettingsError('settings', (err as Error).message);
    }
  }
  // A literal password in the flow is served by GET /flows and saved in flows.json: refused.
  if (parts.password !== undefined && !source.uriFromEnvironment) throw new ConnectionSettingsError('password-in-uri', PASSWORD_IN_URI);
  const username = credentials.username || parts.username;
  const password = credentials.password || parts.password;
  const options: Record<string, unknown> = {
    maxPoolSize: config.maxPoolSize,
    connectTimeoutMS: config.connectTimeoutMS,
    serverSelectionTimeoutMS: config.serverSelectionTimeoutMS,
    socketTimeoutMS: config.socketTimeoutMS,
  };
  if (config.appName) options.appName = config.appName;
  if (username) options.auth = password === undefined ? { username } : { username, password };
  if (config.authSource) options.authSource = config.authSource;
  if (config.authMechanism) options.authMechanism = config.authMechanism;
  const writeConcern: Record<string, unknown> = {};
  if (config.writeConcern) writeConcern.w = /^\d+$/.test(config.writeConcern) ? Number(config.writeConcern) : config.writeConcern;
  if (config.journal) writeConcern.journal = true;
  if (config.wtimeoutMS > 0) writeConcern.wtimeoutMS = config.wtimeoutMS;
  if (Object.keys(writeConcern).length) options.writeConcern = writeConcern;
  if (config.readPreference) options.readPreference = config.readPreference;
  if (config.tls) {
    options.tls = true;
    if (config.tlsCAFile) options.ca = readPem(config.tlsCAFile, 'CA file');
    if (config.tlsCertFile) {
      options.cert = readPem(config.tlsCertFile, 'client certificate file');
      options.key = readPem(config.tlsKeyFile || config.tlsCertFile, 'client key file');
    }
    if (credentials.tlsKeyPassword) options.passphrase = credentials.tlsKeyPassword;
    if (config.tlsAllowInvalidCertificates) options.tlsAllowInvalidCertificates = true;
  }
  const secrets = [password, credentials.tlsKeyPassword].filter((s): s is string => !!s);
  return {
    uri: formatMongoUri(parts),
    options,
    databaseName: config.database || parts.database || DEFAULT_DATABASE,
    secrets,
  };
}

/** Short on purpose: the node words the refusal and its fix through its catalogue. */
export const PASSWORD_IN_URI = 'the connection string in the flow holds a password';

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConnectionSettingsError('settings', `TLS ${what} "${file}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
