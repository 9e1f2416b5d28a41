/**
 * A TCP link to a database server that can freeze: from then on it delivers nothing in either
 * direction and keeps every connection open, as a server that stopped answering (or a network
 * that silently drops everything) looks to a client. The driver then waits for answers that
 * never come, for real.
 */
import net from 'node:net';

export interface FrozenLink {
  /** Where clients connect (127.0.0.1). */
  port: number;
  /** Bytes clients sent since the freeze (held, never delivered). */
  readonly heldBytes: number;
  /** Client connections open now. */
  readonly connections: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  freeze(): void;
  /** Delivers again, from now on (what was held stays lost: cut() the connections that sent it). */
  thaw(): void;
  /** Freezes the link when a client sends a chunk that `match` picks (that chunk is held too). */
  freezeWhen(match: (chunk: Buffer) => boolean): void;
  /** Cuts every connection, as a failing link finally would. */
  cut(): void;
  close(): Promise<void>;
}

export async function startFrozenLink(targetPort: number, targetHost = '127.0.0.1'): Promise<FrozenLink> {
  const clients = new Set<net.Socket>();
  const upstreams = new Set<net.Socket>();
  let frozen = false;
  let trigger: ((chunk: Buffer) => boolean) | undefined;
  let heldBytes = 0;
  let accepted = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetHost, port: targetPort });
    accepted++;
    clients.add(client);
    upstreams.add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (!frozen && trigger?.(chunk)) frozen = true;
      if (frozen) heldBytes += chunk.length;
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!frozen) client.write(chunk);
    });
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      clients.delete(client);
      upstreams.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', closeBoth);
      socket.on('error', closeBoth);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const cut = (): void => {
    for (const socket of [...clients, ...upstreams]) socket.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    get heldBytes() {
      return heldBytes;
    },
    get connections() {
      return clients.size;
    },
    get accepted() {
      return accepted;
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      trigger = undefined;
    },
    freezeWhen(match) {
      trigger = match;
    },
    cut,
    /** Fails for good: new connections refused, open ones cut. */
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      cut();
      await closed;
    },
  };
}
