/**
 * PLC sessions carried across a full deploy. A full deploy stops every node, config nodes
 * included, and starts them again from the new configuration. A plc-connection node stopped that
 * way parks its session here, and its successor (same node id, same settings) takes it back, so
 * retuning a reader reconnects with no deploy type. A parked session nobody takes back is closed
 * once the flows have started again, when the flows stop for good (not for a deploy), or after the
 * grace period, whichever comes first.
 */
import { systemClock, type Clock } from '../../shared/clock';
import { RELEASE_GRACE_MS, unrefTimer } from './shared-connection';

export interface Closable {
  close(): Promise<void>;
}

interface Parked<T> {
  settingsKey: string;
  session: T;
  timer: unknown;
}

export class ParkedConnections<T extends Closable> {
  private readonly parked = new Map<string, Parked<T>>();

  constructor(private readonly graceMs = RELEASE_GRACE_MS, private readonly clock: Clock = systemClock) {}

  /** Keeps `session` of node `id` for a successor with the same settings. */
  park(id: string, settingsKey: string, session: T): void {
    this.closeParked(id);
    const timer = unrefTimer(this.clock.setTimer(() => this.closeParked(id), this.graceMs));
    this.parked.set(id, { settingsKey, session, timer });
  }

  /** The session node `id` parked with the same settings; one parked with other settings is closed. */
  take(id: string, settingsKey: string): T | undefined {
    const entry = this.parked.get(id);
    if (!entry) return undefined;
    if (entry.settingsKey !== settingsKey) {
      this.closeParked(id);
      return undefined;
    }
    this.clock.clearTimer(entry.timer);
    this.parked.delete(id);
    return entry.session;
  }

  /** Closes every parked session (the flows started without them, or stopped for good). */
  closeAll(): void {
    for (const id of [...this.parked.keys()]) this.closeParked(id);
  }

  get size(): number {
    return this.parked.size;
  }

  private closeParked(id: string): void {
    const entry = this.parked.get(id);
    if (!entry) return;
    this.clock.clearTimer(entry.timer);
    this.parked.delete(id);
    // nobody is left to tell about a failed disconnect of a session no node uses
    entry.session.close().catch(() => undefined);
  }
}
