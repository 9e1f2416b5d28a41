import { EventEmitter } from 'node:events';
import type { S7Address } from './address';

export interface S7ConnectionOptions {
  host: string;
  port?: number;
  rack?: number;
  slot?: number;
  /** When set (with remoteTSAP), used instead of rack/slot (LOGO!, S7-200). */
  localTSAP?: number;
  remoteTSAP?: number;
  connectionType?: 'PG' | 'OP' | 'S7_BASIC';
  pduSize?: number;
  connectTimeoutMs?: number;
  receiveTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  poolSize?: number;
  maxGap?: number;
}

export type S7ConnectionState = 'connecting' | 'connected' | 'backoff' | 'closed';

export interface PreparedRead {
  readonly addresses: readonly S7Address[];
  readonly requestCount: number;
}

export interface ItemResult {
  ok: boolean;
  value?: unknown;
  /** snap7 text + hint; names the address. */
  error?: string;
}

export interface ReadResult {
  /** In input order. */
  items: ItemResult[];
  /** Epoch ms when the reply came. */
  timestamp: number;
  requests: number;
  durationMs: number;
}

export class S7ConnectionError extends Error {
  override name = 'S7ConnectionError';
  code?: number;
}

export class S7Connection extends EventEmitter {
  constructor(private readonly options: S7ConnectionOptions) {
    super();
  }
  start(): void {
    void this.options;
  }
  async close(): Promise<void> {
    return;
  }
  get state(): S7ConnectionState {
    return 'closed';
  }
  get negotiatedPdu(): number | undefined {
    return undefined;
  }
  get retryAt(): number | undefined {
    return undefined;
  }
  get lastError(): string | undefined {
    return undefined;
  }
  prepare(addresses: S7Address[]): PreparedRead {
    return { addresses: addresses.slice(), requestCount: 0 };
  }
  async read(prepared: PreparedRead): Promise<ReadResult> {
    void prepared;
    throw new S7ConnectionError('not implemented yet');
  }
}
