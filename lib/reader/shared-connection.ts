/**
 * One S7 connection shared by every reader on a plc-connection node: opened lazily when the
 * first reader acquires it, closed (awaited) when the last one releases it or the node closes.
 */
import { S7Connection, type S7ConnectionOptions } from '../s7/connection';

export interface SharedConnectionStatus {
  state: S7Connection['state'];
  negotiatedPdu: number | undefined;
  retryAt: number | undefined;
  lastError: string | undefined;
  users: number;
}

/** What a plc-reader finds on its plc-connection node. */
export interface ConnectionProvider {
  /** Undefined when the settings are invalid; settingsError says why. */
  shared: SharedConnection | undefined;
  settingsError: string | undefined;
}

export class SharedConnection {
  private connection: S7Connection | undefined;
  private readonly users = new Set<string>();

  constructor(private readonly options: S7ConnectionOptions) {}

  /** The connection, started on first use. */
  acquire(userId: string): S7Connection {
    this.users.add(userId);
    if (!this.connection) {
      this.connection = new S7Connection(this.options);
      this.connection.start();
    }
    return this.connection;
  }

  /** Gives the connection back; the last user's release disconnects. */
  async release(userId: string): Promise<void> {
    this.users.delete(userId);
    if (this.users.size === 0) await this.close();
  }

  /** Disconnects now, whoever still uses it (the config node is going away). */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.users.clear();
    await connection?.close();
  }

  status(): SharedConnectionStatus {
    const c = this.connection;
    return {
      state: c?.state ?? 'closed',
      negotiatedPdu: c?.negotiatedPdu,
      retryAt: c?.retryAt,
      lastError: c?.lastError,
      users: this.users.size,
    };
  }
}
