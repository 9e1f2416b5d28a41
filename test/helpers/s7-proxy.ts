/**
 * A TCP proxy in front of the S7 server that counts the client's requests (one TPKT frame
 * each, RFC 1006) and can delay every chunk in each direction. Counting on the wire is the
 * only count every engine agrees on; the delay stands in for `tc netem` where the kernel has
 * no sch_netem (bench/REPORT.md, conditions). Used by the runtime tests and the S7 benchmark.
 */
import net from 'node:net';

/** Splits a byte stream into TPKT frames (version 3, 16-bit length) and counts them. */
class TpktCounter {
  frames = 0;
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
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
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: () => number, onChunk: (chunk: Buffer) => void): void {
  from.on('data', (chunk: Buffer) => {
    onChunk(chunk);
    const delay = delayMs();
    if (delay > 0) setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delay);
    else to.write(chunk);
  });
}

export interface S7Proxy {
  host: string;
  port: number;
  /** TPKT frames sent by clients so far (connection set-up included). */
  readonly requests: number;
  /** Client connections open through the proxy now. */
  readonly connections: number;
  /** The most requests one client connection had sent and not yet seen answered, at once (pipelining at work). */
  readonly peakInFlight: number;
  /** Delay per direction from now on, ms. */
  delayMs: number;
  /** Cuts the oldest client connection (both sides), as a failing link would. */
  dropOne(): void;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 (free port) towards target host:port; a round trip gains 2 × delayMs. */
export async function startS7Proxy({ targetHost, targetPort, delayMs = 0 }: { targetHost: string; targetPort: number; delayMs?: number }): Promise<S7Proxy> {
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let requests = 0;
  let peakInFlight = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetHost, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client); sockets.add(upstream); clients.add(client);
    const counter = new TpktCounter();
    const answers = new TpktCounter();
    delayedPipe(client, upstream, () => proxy.delayMs, (chunk) => {
      const before = counter.frames;
      counter.push(chunk);
      requests += counter.frames - before;
      // every client frame (connect, setup, read) gets exactly one answer frame
      peakInFlight = Math.max(peakInFlight, counter.frames - answers.frames);
    });
    delayedPipe(upstream, client, () => proxy.delayMs, (chunk) => answers.push(chunk));
    const closeBoth = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); clients.delete(client); };
    client.on('close', closeBoth); upstream.on('close', closeBoth);
    client.on('error', closeBoth); upstream.on('error', closeBoth);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  const proxy: S7Proxy = {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    get requests() { return requests; },
    get connections() { return clients.size; },
    get peakInFlight() { return peakInFlight; },
    delayMs,
    dropOne() {
      const [oldest] = clients;
      oldest?.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
