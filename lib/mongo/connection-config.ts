/**
 * The mongo-connection config node's settings (stored in the flow, exported) and credentials
 * (stored in Node-RED's credentials file, never exported). Pure and browser-safe: the editor
 * bundles it.
 */

export type AuthMechanism = '' | 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'MONGODB-X509' | 'PLAIN';
export const AUTH_MECHANISMS: readonly AuthMechanism[] = ['', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'MONGODB-X509', 'PLAIN'];

/** Where reads go in a replica set ("": the driver's default, primary; or what the URI says). */
export type ReadPreference = '' | 'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest';
export const READ_PREFERENCES: readonly ReadPreference[] = ['', 'primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'];

export interface MongoConnectionConfig {
  name: string;
  /** "uri": a connection string (replica sets, sharded clusters, SRV); "host": host and port. */
  mode: 'uri' | 'host';
  /** Without credentials: the editor moves a typed password into the credentials. */
  uri: string;
  host: string;
  port: number;
  /** Empty: the URI's database, else "industrial_iot". */
  database: string;
  authSource: string;
  authMechanism: AuthMechanism;
  tls: boolean;
  tlsCAFile: string;
  /** Client certificate (PEM); may also hold the key. */
  tlsCertFile: string;
  /** Client key (PEM), when not in the certificate file. */
  tlsKeyFile: string;
  tlsAllowInvalidCertificates: boolean;
  appName: string;
  maxPoolSize: number;
  connectTimeoutMS: number;
  serverSelectionTimeoutMS: number;
  socketTimeoutMS: number;
  /** "majority", a number of members as text ("1"), or "" for the server's default. */
  writeConcern: string;
  journal: boolean;
  /** How long a write waits for its write concern, ms; 0: no limit. */
  wtimeoutMS: number;
  readPreference: ReadPreference;
}

export interface MongoConnectionCredentials {
  username?: string;
  password?: string;
  tlsKeyPassword?: string;
}

export const DEFAULT_DATABASE = 'industrial_iot';

export const MONGO_CONNECTION_DEFAULTS: MongoConnectionConfig = {
  name: '',
  mode: 'uri',
  uri: 'mongodb://127.0.0.1:27017/industrial_iot',
  host: '127.0.0.1',
  port: 27017,
  database: '',
  authSource: '',
  authMechanism: '',
  tls: false,
  tlsCAFile: '',
  tlsCertFile: '',
  tlsKeyFile: '',
  tlsAllowInvalidCertificates: false,
  appName: 'node-red-s7-production',
  maxPoolSize: 10,
  connectTimeoutMS: 10000,
  serverSelectionTimeoutMS: 10000,
  socketTimeoutMS: 0,
  writeConcern: 'majority',
  journal: false,
  wtimeoutMS: 0,
  readPreference: '',
};
