/**
 * The cheap reachability check before every snap7 connect: a non-blocking TCP connect on the
 * main thread. A dead PLC never reaches snap7 (whose connect would block a thread-pool thread
 * for the whole TCP timeout), so it can be probed often.
 */
import net from 'node:net';
import type { Clock } from '../shared/clock';

/**
 * Resolves with the peer's IPv4 address (snap7 takes no host names) when a TCP connection
 * opens, rejects otherwise. Sockets still open are in `open`, so a closing connection can end them.
 */
export function probeTcp(host: string, port: number, timeoutMs: number, clock: Clock, open: Set<net.Socket>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, family: 4 });
    open.add(socket);
    const timer = clock.setTimer(() => done(new Error(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    function done(err?: Error): void {
      clock.clearTimer(timer);
      const ip = socket.remoteAddress;
      open.delete(socket);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else if (!ip) reject(new Error(`TCP connect to ${host}:${port}: no peer address`));
      else resolve(ip);
    }
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => done(new Error(`TCP connect to ${host}:${port} failed: ${err.code ?? err.message}`)));
    socket.once('close', () => done(new Error(`TCP connect to ${host}:${port} closed`)));
  });
}
