/**
 * One S7 connection shared by every reader on a plc-connection node: opened lazily when the
 * first reader acquires it, closed (awaited) when the node closes. When the last reader lets go
 * it stays open for a grace period, so a deploy of modified nodes (the reader restarts, the
 * connection node stays) keeps the PLC session; a reader removed for good frees it after that.
 */
import { systemClock, type Clock } from '../../shared/clock';
import { S7Connection, type S7ConnectionOptions } from '../connection';
import { DEFAULT_ENGINE, type S7Engine } from '../engine';

export interface SharedConnectionStatus {
  state: S7Connection['state'];
  /** The S7 client in use ('wire' or 'snap7'). */
  engine: S7Engine;
  negotiatedPdu: number | undefined;
  /** S7 connections open now (the adaptive pool's size). */
  connections: number;
  /** Requests each connection carries at once (the wire engine's negotiated jobs, MaxAmQ; 1 for snap7); 0 while none is open. */
  jobsPerConnection: number;
  retryAt: number | undefined;
  lastError: string | undefined;
  users: number;
}

/** What a plc-reader finds on its plc-connection node. */
export interface ConnectionProvider {
  /** Undefined when the settings are invalid; settingsError says why. */
  shared: SharedConnection | undefined;
  settingsError: string | undefined;
  /** The PLC's host as configured (after ${ENV}); a reader's machine scope may name it. */
  host?: string;
}

export const RELEASE_GRACE_MS = 10_000;

export class SharedConnection {
  private connection: S7Connection | undefined;
  private readonly users = new Set<string>();
  private idleTimer: unknown;

  constructor(
    private readonly options: S7ConnectionOptions,
    private readonly graceMs = RELEASE_GRACE_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The connection, started on first use. */
  acquire(userId: string): S7Connection {
    this.users.add(userId);
    this.cancelIdleClose();
    if (!this.connection) {
      this.connection = new S7Connection({ clock: this.clock, ...this.options });
      this.connection.start();
    }
    return this.connection;
  }

  /** Gives the connection back; after the last user's release it closes once the grace period passed unused. */
  release(userId: string): void {
    this.users.delete(userId);
    if (this.users.size > 0 || !this.connection || this.idleTimer) return;
    this.idleTimer = unrefTimer(this.clock.setTimer(() => {
      this.idleTimer = undefined;
      // nobody is left to tell about a failed disconnect of an unused connection; a new acquire starts afresh
      if (this.users.size === 0) this.close().catch(() => undefined);
    }, this.graceMs));
  }

  /** Disconnects now, whoever still uses it (the config node is going away). */
  async close(): Promise<void> {
    this.cancelIdleClose();
    const connection = this.connection;
    this.connection = undefined;
    this.users.clear();
    await connection?.close();
  }

  private cancelIdleClose(): void {
    if (this.idleTimer) this.clock.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
  }

  status(): SharedConnectionStatus {
    const c = this.connection;
    return {
      state: c?.state ?? 'closed',
      engine: c?.engine ?? this.options.engine ?? DEFAULT_ENGINE,
      negotiatedPdu: c?.negotiatedPdu,
      connections: c?.connections ?? 0,
      jobsPerConnection: c?.jobsPerConnection ?? 0,
      retryAt: c?.retryAt,
      lastError: c?.lastError,
      users: this.users.size,
    };
  }
}

/** A grace timer must not keep the process alive (Node timers only; a test clock's are plain objects). */
export function unrefTimer(handle: unknown): unknown {
  (handle as { unref?: () => void }).unref?.();
  return handle;
}
