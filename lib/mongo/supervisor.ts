/**
 * One MongoClient, kept alive. The driver gives up for good when the first connect fails
 * ("topology closed"); this supervisor then closes that client and makes a new one, with
 * exponential backoff, until it connects or is closed. After the first connect the driver
 * reconnects by itself; the supervisor only reports what its monitoring events say.
 */
import { EventEmitter } from 'node:events';
import type { ConnectionState } from './connection-handle';

/** The part of a MongoClient the supervisor uses (behind an interface so it can be unit-tested). */
export interface SupervisedClient<TDb> {
  connect(): Promise<unknown>;
  db(name: string): TDb;
  close(): Promise<void>;
  on(event: 'topologyDescriptionChanged', listener: (event: { newDescription: { servers: Map<string, { type: string }> } }) => void): unknown;
}

export interface SupervisorOptions<TDb> {
  createClient: () => SupervisedClient<TDb>;
  databaseName: string;
  /** Redacts credentials from error text. */
  redact: (text: string) => string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ConnectionClosedError extends Error {
  constructor() {
    super('the MongoDB connection was closed (node redeployed or stopped)');
    this.name = 'ConnectionClosedError';
  }
}

export class ConnectionSupervisor<TDb> extends EventEmitter {
  private client: SupervisedClient<TDb> | undefined;
  private connecting: SupervisedClient<TDb> | undefined;
  private connected = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private backoffMs: number;
  private current: ConnectionState = { status: 'connecting' };
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: SupervisorOptions<TDb>) {
    super();
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.backoffMs = this.initialBackoffMs;
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (!this.attempt && !this.closed) this.attempt = this.connectOnce();
  }

  private setState(state: ConnectionState): void {
    const same = state.status === this.current.status && state.error === this.current.error;
    this.current = state;
    if (!same) this.emit('status', state);
  }

  private async connectOnce(): Promise<void> {
    this.setState({ status: 'connecting', ...(this.current.error ? { error: this.current.error } : {}) });
    let client: SupervisedClient<TDb>;
    try {
      client = this.options.createClient();
    } catch (err) {
      // Bad settings (an unreadable TLS file, a malformed URI): retrying cannot help until redeploy.
      this.setState({ status: 'disconnected', error: this.options.redact((err as Error).message) });
      this.attempt = undefined;
      return;
    }
    client.on('topologyDescriptionChanged', (event) => {
      if (this.client !== client || this.closed) return;
      const up = [...event.newDescription.servers.values()].some((s) => s.type !== 'Unknown');
      if (this.connected) this.setState(up ? { status: 'connected' } : { status: 'disconnected', error: 'server unreachable; the driver is reconnecting' });
    });
    this.connecting = client;
    try {
      await client.connect();
    } catch (err) {
      this.connecting = undefined;
      await client.close().catch(() => undefined);
      this.attempt = undefined;
      if (this.closed) return;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
      this.setState({ status: 'disconnected', error: `${this.options.redact((err as Error).message)} (retry in ${Math.round(delay / 100) / 10} s)` });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.start();
      }, delay);
      return;
    }
    this.connecting = undefined;
    if (this.closed) {
      await client.close().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connected = true;
    this.backoffMs = this.initialBackoffMs;
    this.setState({ status: 'connected' });
  }

  /** The database once connected (see MongoConnectionHandle.getDb). */
  getDb(waitMs = 30_000): Promise<TDb> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    if (this.client && this.connected) return Promise.resolve(this.client.db(this.options.databaseName));
    this.start();
    return new Promise<TDb>((resolve, reject) => {
      const onStatus = (state: ConnectionState): void => {
        if (state.status === 'closed') finish(new ConnectionClosedError());
        else if (this.client && this.connected) finish();
      };
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.off('status', onStatus);
        if (err) reject(err);
        else resolve(this.client!.db(this.options.databaseName));
      };
      const timer = setTimeout(() => finish(new Error(`MongoDB not reachable within ${waitMs} ms: ${this.current.error ?? 'still connecting'}`)), waitMs);
      this.on('status', onStatus);
    });
  }

  /** Stops reconnecting and closes the client; resolves when its connections are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Closing a client that is still connecting ends its connect() at once.
    await this.connecting?.close().catch(() => undefined);
    await this.attempt;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.close().catch(() => undefined);
    this.setState({ status: 'closed' });
    this.removeAllListeners();
  }
}
