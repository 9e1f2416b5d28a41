// The delaying, request-counting S7 proxy of the build under test (test/helpers/s7-proxy.ts),
// shared with the runtime tests.
import { dist } from './env.mjs';

export const startS7Proxy = (options) => dist('test/helpers/s7-proxy').startS7Proxy(options);
