/**
 * One MongoClient, kept alive. The driver gives up for good when the first connect fails
 * ("topology closed"); this supervisor then closes that client and makes a new one, with
 * exponential backoff, until it connects or is closed. After the first connect the driver
 * reconnects by itself; the supervisor only reports what its monitoring events say.
 */
import { EventEmitter } from 'node:events';
import { Backoff } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';
import type { ConnectionProblem, ConnectionState } from './connection-handle';
import { wireVersionMismatch } from './errors';

/** The part of a MongoClient the supervisor uses (behind an interface so it can be unit-tested). */
export interface SupervisedClient<TDb> {
  connect(): Promise<unknown>;
  db(name: string): TDb;
  close(): Promise<void>;
  on(event: 'topologyDescriptionChanged', listener: (event: { newDescription: { servers: Map<string, { type: string }> } }) => void): unknown;
}

export interface SupervisorOptions<TDb> {
  /** Throws a ConnectionSettingsError (or any Error) for settings no retry can fix. */
  createClient: () => SupervisedClient<TDb>;
  databaseName: string;
  /** Redacts credentials from error text. */
  redact: (text: string) => string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  /** Random source for the backoff's jitter (tests make it fixed). */
  random?: () => number;
  /** How long close() waits for the client (CLOSE_GRACE_MS). */
  closeGraceMs?: number;
}

/**
 * How long close() waits for the driver's close before giving up on the client. A healthy close
 * (an endSessions round trip, sockets closed) takes milliseconds; a server or link that stopped
 * answering holds it until the driver's monitor gives up on the server (heartbeat plus connect
 * timeout, 40 s by default). Node-RED gives a node 15 s to close and the connection node first
 * waits up to 10 s for its users' last writes: 3 s keeps the whole close inside Node-RED's limit.
 */
export const CLOSE_GRACE_MS = 3_000;

/** How close() ended: the client closed, or it did not within the grace and was left to finish alone. */
export type CloseOutcome = 'closed' | 'abandoned';

/**
 * Waits for a client's close at most `graceMs`: 'closed' once it ended (failed or not), else
 * 'abandoned' and the close is left to finish on its own.
 */
export async function closeWithin(closing: Promise<unknown>, graceMs: number, clock: Clock = systemClock): Promise<CloseOutcome> {
  let timer: unknown;
  const grace = new Promise<CloseOutcome>((resolve) => {
    timer = clock.setTimer(() => resolve('abandoned'), graceMs);
  });
  const outcome = await Promise.race([closing.then(() => 'closed' as const, () => 'closed' as const), grace]);
  clock.clearTimer(timer);
  return outcome;
}

export class ConnectionClosedError extends Error {
  constructor() {
    super('the MongoDB connection was closed (node redeployed or stopped)');
    this.name = 'ConnectionClosedError';
  }
}

/** The connection's settings are refused: the client is never made, every getDb() fails at once. */
export class ConnectionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionRefusedError';
  }
}

/** What a refused client says about itself (a ConnectionSettingsError names it), else "settings". */
function problemOf(err: unknown): ConnectionProblem {
  return (err as { problem?: unknown }).problem === 'password-in-uri' ? 'password-in-uri' : 'settings';
}

export class ConnectionSupervisor<TDb> extends EventEmitter {
  private client: SupervisedClient<TDb> | undefined;
  private connecting: SupervisedClient<TDb> | undefined;
  private connected = false;
  private closed = false;
  private refused: ConnectionRefusedError | undefined;
  private retryTimer: unknown;
  private attempt: Promise<void> | undefined;
  private current: ConnectionState = { status: 'connecting' };
  private readonly backoff: Backoff;
  private readonly clock: Clock;

  constructor(private readonly options: SupervisorOptions<TDb>) {
    super();
    this.clock = options.clock ?? systemClock;
    // Jitter: many Node-RED instances that lost one server do not come back in lockstep.
    this.backoff = new Backoff({ initialMs: options.initialBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 30_000, jitter: 0.2, random: options.random });
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (!this.attempt && !this.closed && !this.refused) this.attempt = this.connectOnce();
  }

  private setState(state: ConnectionState): void {
    const same = state.status === this.current.status && state.error === this.current.error && state.problem === this.current.problem;
    this.current = state;
    if (!same) this.emit('status', state);
  }

  private async connectOnce(): Promise<void> {
    this.setState({ ...this.current, status: 'connecting' });
    let client: SupervisedClient<TDb>;
    try {
      client = this.options.createClient();
    } catch (err) {
      // Bad settings (a password in the flow, an unreadable TLS file, a malformed URI): retrying
      // cannot help until the flow or the environment changes and the node is redeployed.
      const error = this.options.redact((err as Error).message);
      this.refused = new ConnectionRefusedError(error);
      this.setState({ status: 'disconnected', error, problem: problemOf(err) });
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
      const delay = this.backoff.next();
      // A server older than the driver supports: still retried (it may be upgraded), but named.
      const problem: ConnectionProblem | undefined = wireVersionMismatch(err) ? 'old-server' : undefined;
      this.setState({
        status: 'disconnected',
        error: `${this.options.redact((err as Error).message)} (retry in ${Math.round(delay / 100) / 10} s)`,
        ...(problem ? { problem } : {}),
      });
      this.retryTimer = this.clock.setTimer(() => {
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
    this.attempt = undefined;
    this.backoff.reset();
    this.setState({ status: 'connected' });
  }

  /**
   * Replaces a connected client with a new one (see MongoConnectionHandle.replaceClient): the old
   * one is closed without waiting for its operations, which fail or are never answered.
   */
  replaceClient(reason: string): void {
    const client = this.client;
    if (this.closed || this.attempt || !client || !this.connected) return;
    this.client = undefined;
    this.connected = false;
    this.setState({ status: 'connecting', error: this.options.redact(reason) });
    void client.close().catch(() => undefined);
    this.start();
  }

  /** The database once connected (see MongoConnectionHandle.getDb). */
  getDb(waitMs = 30_000): Promise<TDb> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    if (this.refused) return Promise.reject(this.refused);
    if (this.client && this.connected) return Promise.resolve(this.client.db(this.options.databaseName));
    this.start();
    if (this.refused) return Promise.reject(this.refused);
    const notReachable = (): Error => new Error(`MongoDB not reachable within ${waitMs} ms: ${this.current.error ?? 'still connecting'}`);
    if (waitMs <= 0) return Promise.reject(notReachable());
    return new Promise<TDb>((resolve, reject) => {
      const onStatus = (state: ConnectionState): void => {
        if (state.status === 'closed') finish(new ConnectionClosedError());
        else if (this.refused) finish(this.refused);
        else if (this.client && this.connected) finish();
      };
      const finish = (err?: Error): void => {
        this.clock.clearTimer(timer);
        this.off('status', onStatus);
        if (err) reject(err);
        else resolve(this.client!.db(this.options.databaseName));
      };
      const timer = this.clock.setTimer(() => finish(notReachable()), waitMs);
      this.on('status', onStatus);
    });
  }

  /**
   * Stops reconnecting and closes the client; resolves when its connections are closed, or after
   * the close grace with 'abandoned': the driver's close waits for the server without a limit (its
   * force flag has no effect in drivers 6 and 7), so a client whose server stopped answering is
   * left to finish closing on its own (its monitor ends it once the server counts as lost).
   */
  async close(): Promise<CloseOutcome> {
    if (this.closed) return 'closed';
    this.closed = true;
    if (this.retryTimer) this.clock.clearTimer(this.retryTimer);
    const outcome = await closeWithin(this.closeClients(), this.options.closeGraceMs ?? CLOSE_GRACE_MS, this.clock);
    this.client = undefined;
    this.connected = false;
    this.setState({ status: 'closed' });
    this.removeAllListeners();
    return outcome;
  }

  private async closeClients(): Promise<void> {
    // Closing a client that is still connecting ends its connect() at once.
    await this.connecting?.close().catch(() => undefined);
    await this.attempt;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.close().catch(() => undefined);
  }
}
