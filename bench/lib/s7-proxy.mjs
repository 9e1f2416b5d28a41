// A TCP proxy in front of the S7 server that counts the client's requests (one TPKT frame
// each, RFC 1006) and can delay every chunk in each direction. Counting on the wire is the
// only count both engines agree on; the delay stands in for `tc netem` where the kernel has
// no sch_netem (see REPORT.md, conditions).
import net from 'node:net';

/** Splits a byte stream into TPKT frames (version 3, 16-bit length) and counts them. */
class TpktCounter {
  constructor() {
    this.frames = 0;
    this.pending = Buffer.alloc(0);
  }

  push(chunk) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt16BE(2);
      if (this.pending[0] !== 3 || length < 4) {
        // Not TPKT: count nothing more on this socket rather than guess.
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.pending.length < length) return;
      this.frames++;
      this.pending = this.pending.subarray(length);
    }
  }
}

/** Writes chunks to `to` after `delayMs`, keeping their order. */
function delayedPipe(from, to, delayMs, onChunk) {
  from.on('data', (chunk) => {
    onChunk(chunk);
    if (delayMs > 0) setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delayMs);
    else to.write(chunk);
  });
}

/**
 * Starts the proxy on 127.0.0.1 (free port) towards target host:port.
 * delayMs applies to each direction, so a round trip gains 2 × delayMs.
 */
export async function startS7Proxy({ targetHost, targetPort, delayMs = 0 }) {
  const sockets = new Set();
  let requests = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetHost, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client); sockets.add(upstream);
    const counter = new TpktCounter();
    delayedPipe(client, upstream, delayMs, (chunk) => {
      const before = counter.frames;
      counter.push(chunk);
      requests += counter.frames - before;
    });
    delayedPipe(upstream, client, delayMs, () => {});
    const closeBoth = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', closeBoth); upstream.on('close', closeBoth);
    client.on('error', closeBoth); upstream.on('error', closeBoth);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  return {
    host: '127.0.0.1',
    port: server.address().port,
    /** TPKT frames sent by clients so far (connection set-up included). */
    get requests() { return requests; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
