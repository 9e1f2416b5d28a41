import net from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago (the system's choice for port 0). Someone else
 * may take it before the caller binds it; callers that can, retry on another.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
