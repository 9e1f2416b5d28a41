// Preloaded into the soak's Node-RED process (`node --expose-gc -r gc-probe.cjs`): every
// GC_PROBE_MS it runs a full garbage collection and prints the memory that survives it, so RSS
// growth is judged on retained memory rather than on where V8's collection saw-tooth happens to be.
// A full collection once a minute is the only thing it adds to the process. Benchmarks only.
'use strict';

const everyMs = Number(process.env.GC_PROBE_MS || 60000);
if (typeof global.gc !== 'function') throw new Error('gc-probe.cjs needs node --expose-gc');
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
setInterval(() => {
  const began = performance.now();
  global.gc();
  // how long the collection held the event loop: a benchmark's latency figures include it
  const gcMs = Math.round((performance.now() - began) * 10) / 10;
  const m = process.memoryUsage();
  process.stdout.write(`gc-probe ${JSON.stringify({ at: Date.now(), gcMs, rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) })}\n`);
}, everyMs).unref();
