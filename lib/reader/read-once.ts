/**
 * "Test connection / read now" for the reader's dialog: connects with the dialog's (unsaved)
 * settings, reads the signals once, disconnects. Never writes. Its timeouts are capped and its
 * snap7 calls go on probation (lib/s7/thread-slots.ts), so an address that never answers costs
 * the user a few seconds and the running readers nothing.
 */
import type { PinMap } from '../s7/address';
import { S7Connection, type S7ConnectionOptions, type S7ConnectionState } from '../s7/connection';
import { itemError, resolveSignals, type SignalRow } from './signals';

export interface ReadOnceItem {
  name: string;
  address: string;
  dataType: string;
  quality: 'good' | 'bad';
  value?: unknown;
  error?: string;
}

export interface ReadOnceReport {
  connected: boolean;
  /** Why the connection failed, when it did. */
  error?: string;
  negotiatedPdu?: number;
  requests?: number;
  durationMs?: number;
  items: ReadOnceItem[];
  /** Rows that could not be read at all (address, name ...). */
  problems: string[];
}

/** The longest connect or receive timeout a test read uses, whatever the dialog says. */
export const TEST_READ_MAX_TIMEOUT_MS = 5000;

/** Resolves when the connection is up, or rejects with its first failure or after timeoutMs. */
function whenConnected(conn: S7Connection, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const onState = (state: S7ConnectionState, detail?: string): void => {
      if (state === 'connected') finish();
      else if (state === 'backoff' || state === 'closed') finish(new Error(detail ?? conn.lastError ?? `connection ${state}`));
    };
    function finish(err?: Error): void {
      clearTimeout(timer);
      conn.off('state', onState);
      if (err) reject(err);
      else resolve();
    }
    conn.on('state', onState);
    if (conn.state === 'connected') finish();
  });
}

export async function readOnce(options: S7ConnectionOptions, rows: readonly SignalRow[], pinMap: PinMap): Promise<ReadOnceReport> {
  const { signals, problems } = resolveSignals(rows, 1000, pinMap);
  const report: ReadOnceReport = { connected: false, items: [], problems: problems.map((p) => p.message) };
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? TEST_READ_MAX_TIMEOUT_MS, TEST_READ_MAX_TIMEOUT_MS);
  const receiveTimeoutMs = Math.min(options.receiveTimeoutMs ?? TEST_READ_MAX_TIMEOUT_MS, TEST_READ_MAX_TIMEOUT_MS);
  // one attempt: no pool, no long reconnect pauses while the user waits
  const conn = new S7Connection({ ...options, connectTimeoutMs, receiveTimeoutMs, maxConnections: 1, onProbation: true });
  try {
    conn.start();
    // the probe, perhaps another call ahead on probation, then the connect
    await whenConnected(conn, 2 * connectTimeoutMs + 2 * TEST_READ_MAX_TIMEOUT_MS + 2000);
    report.connected = true;
    report.negotiatedPdu = conn.negotiatedPdu;
    if (signals.length === 0) return report;
    const result = await conn.read(conn.prepare(signals.map((s) => s.address)));
    report.requests = result.requests;
    report.durationMs = result.durationMs;
    report.items = signals.map((s, i) => {
      const item = result.items[i];
      const base = { name: s.identity.name, address: s.identity.address, dataType: s.identity.dataType };
      return item?.ok
        ? { ...base, quality: 'good', value: item.value }
        : { ...base, quality: 'bad', error: itemError(s.identity, item?.error) };
    });
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
  } finally {
    await conn.close();
  }
  return report;
}
