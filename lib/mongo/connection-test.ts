/**
 * The connection dialog's "Test connection" without Node-RED: connect, ping, answer within one
 * time limit, whatever the server does. The driver bounds connecting and server selection, but
 * not a command: a server (or link) that accepts the connection and then stops answering holds
 * the ping until the driver's monitor gives up on the server (a heartbeat plus the connect
 * timeout; with a long heartbeat, practically never; test/runtime/mongo/frozen-link.ts).
 */
import { systemClock, type Clock } from '../shared/clock';
import { CLOSE_GRACE_MS, closeWithin, type CloseOutcome } from './supervisor';

/** What the test was waiting for when its time ran out. */
export type ConnectionTestStage = 'connect' | 'ping';

export class ConnectionTestTimeoutError extends Error {
  constructor(readonly stage: ConnectionTestStage, readonly limitMs: number) {
    super(`MongoDB did not answer the ${stage} within ${limitMs} ms`);
    this.name = 'ConnectionTestTimeoutError';
  }
}

/** The part of a MongoClient the test uses. */
export interface TestClient {
  connect(): Promise<unknown>;
  db(name: string): { command(command: Record<string, unknown>): Promise<unknown> };
  close(): Promise<void>;
}

export interface ConnectionTestOptions {
  databaseName: string;
  /** The whole test (connect and ping) answers within this. */
  limitMs: number;
  clock?: Clock;
  /** How long the background close of the test's client may take before it is left alone (CLOSE_GRACE_MS). */
  closeGraceMs?: number;
  /** The client did not close within the grace (its server stopped answering): it finishes alone. */
  onCloseAbandoned?: () => void;
}

/**
 * Connects and pings; resolves once the database answered, rejects with the driver's error or a
 * ConnectionTestTimeoutError naming the stage that did not answer. The client is closed in the
 * background, never awaited: a close can wait for a server that stopped answering too
 * (lib/mongo/supervisor.ts, CLOSE_GRACE_MS).
 */
export async function testConnection(client: TestClient, options: ConnectionTestOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  let stage: ConnectionTestStage = 'connect';
  const work = (async () => {
    await client.connect();
    stage = 'ping';
    await client.db(options.databaseName).command({ ping: 1 });
  })();
  work.catch(() => undefined); // after the limit, its late failure is no one's to handle
  let timer: unknown;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimer(() => reject(new ConnectionTestTimeoutError(stage, options.limitMs)), options.limitMs);
  });
  try {
    await Promise.race([work, limit]);
  } finally {
    clock.clearTimer(timer);
    void closeWithin(client.close(), options.closeGraceMs ?? CLOSE_GRACE_MS, clock).then((outcome: CloseOutcome) => {
      if (outcome === 'abandoned') options.onCloseAbandoned?.();
    });
  }
}
