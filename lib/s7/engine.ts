/**
 * The S7 clients a connection can use (pure: the editor bundle reads it).
 * 'wire': the built-in pipelined client (wire/), no threads, several requests in flight per
 * connection; the default. 'snap7': node-snap7's client, one call per connection, each holding
 * a libuv thread while it waits.
 */
export type S7Engine = 'wire' | 'snap7';
export const S7_ENGINES: readonly S7Engine[] = ['wire', 'snap7'];
/** No thread held per call, several requests in flight on one connection (plc-connection's help says more). */
export const DEFAULT_ENGINE: S7Engine = 'wire';
