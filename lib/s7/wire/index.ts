export { S7WireClient, S7WireError, type Negotiated, type WireConnectOptions, type WireFailure } from './client';
export { WireSnap7Client, type WireSnap7Options } from './snap7-adapter';
export type { ItemResult, ReadItem } from './s7comm';
