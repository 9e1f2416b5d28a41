/**
 * What a mongo-connection config node offers the nodes that use it (the sink, the reader's
 * sensor mapping, the aggregator's state). Type-only: importing it costs nothing at runtime.
 */
import type * as MongoDriver from 'mongodb';

export type DriverModule = typeof MongoDriver;

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * A cause worth its own words in a status: the flow holds a password (refused), other settings
 * no retry can fix, or a server older than the loaded driver supports.
 */
export type ConnectionProblem = 'password-in-uri' | 'settings' | 'old-server';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Why the last attempt failed or the server was lost; credentials redacted. */
  error?: string;
  problem?: ConnectionProblem;
}

export interface MongoConnectionHandle {
  /**
   * The configured database once the client has connected. Waits up to `waitMs` (default
   * 30000) through a failing first connect, then rejects with an Error free of credentials;
   * rejects at once after the node closed. Call it for every batch of work: after an outage the
   * supervisor may have replaced the client.
   */
  getDb(options?: { waitMs?: number }): Promise<MongoDriver.Db>;
  readonly databaseName: string;
  readonly state: ConnectionState;
  /** The driver module in use: build ObjectIds and other BSON values with it. */
  readonly driver: DriverModule;
  /**
   * Closes the client and connects a new one, for a user whose operation got no answer at all
   * (lib/mongo/sink-engine.ts attemptLimitMs): such an operation may keep one of the client's
   * pooled connections for good. Ignored while not connected (a new client is on its way).
   */
  replaceClient(reason: string): void;
  /** Removes credentials from a text (for users' logs and errors). */
  redact(text: string): string;
  /**
   * Keeps the client open while a user still writes on close (Node-RED closes all nodes at
   * once): the connection closes once every hold is released (or after a bound). Returns the
   * release.
   */
  hold(): () => void;
  on(event: 'status', listener: (state: ConnectionState) => void): unknown;
  off(event: 'status', listener: (state: ConnectionState) => void): unknown;
}
