/**
 * The MongoDB-compatible servers database-facing tests run against (scripts/db-servers.mjs).
 *
 * MONGODB_URI set: that one server ("external", driver `mongodb`). Otherwise FerretDB v1.24.2
 * (SQLite backend) and mongo-java-server 1.47.0 (H2 backend), installed once into a cache and
 * started once per mocha process, stopped by a root `after` hook (and, should mocha die, when the
 * runner's stdin closes). MONGO_SERVERS=ferretdb (comma-separated names) narrows the set.
 *
 * mongo-java-server speaks wire version 8, which the 7.x driver refuses, so each server comes
 * with the driver that reaches it: `mongodb6` (the 6.x alias) for mongo-java-server, `mongodb`
 * (7.x) for the others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type * as MongoDriver from 'mongodb';

export type DriverModule = typeof MongoDriver;
export type DriverName = 'mongodb' | 'mongodb6';

export interface MongoServerInfo {
  name: string;
  uri: string;
  driver: DriverName;
  /** Only for a DedicatedMongoServer started with TLS files. */
  tlsUri?: string;
}

export interface ServerTlsFiles {
  cert: string;
  key: string;
  /** Clients must present a certificate signed by this CA. */
  ca?: string;
}

const ALL_SERVERS = ['ferretdb', 'mongo-java-server'];

/** The server names tests run against, known synchronously so `describe` blocks can be made. */
export function mongoServerNames(): string[] {
  if (process.env.MONGODB_URI) return ['external'];
  const wanted = process.env.MONGO_SERVERS?.split(',').map((s) => s.trim()).filter(Boolean);
  return wanted?.length ? wanted : ALL_SERVERS;
}

/** The driver module that reaches a server. */
export function driverModule(server: Pick<MongoServerInfo, 'driver'>): DriverModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return server.driver === 'mongodb6' ? (require('mongodb6') as DriverModule) : (require('mongodb') as DriverModule);
}

export { freePort } from '../../lib/shared/free-port';

function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'scripts', 'db-servers.mjs'))) return dir;
  }
  throw new Error('scripts/db-servers.mjs not found above ' + __dirname);
}

interface Runner {
  child: ChildProcess;
  servers: MongoServerInfo[];
}

/** Runs `db-servers.mjs start` in the foreground; resolves with its servers once they answer. */
function startRunner(args: string[]): Promise<Runner> {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'scripts', 'db-servers.mjs'), 'start', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { servers: MongoServerInfo[] };
        resolve({ child, servers: parsed.servers.map(({ name, uri, driver, tlsUri }) => ({ name, uri, driver, ...(tlsUri ? { tlsUri } : {}) })) });
      } catch (err) {
        reject(new Error(`db-servers.mjs printed ${line}: ${(err as Error).message}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`db-servers.mjs start ${args.join(' ')} exited with ${code}`)));
  });
}

async function stopRunner(runner: Runner): Promise<void> {
  if (runner.child.exitCode !== null || runner.child.signalCode !== null) return;
  const exited = new Promise((resolve) => runner.child.once('exit', resolve));
  runner.child.kill('SIGTERM');
  await exited;
}

const runners = new Set<Runner>();
let shared: Promise<MongoServerInfo[]> | undefined;

/** The shared servers, started on first use and stopped when the mocha run ends. */
export function getMongoServers(): Promise<MongoServerInfo[]> {
  if (process.env.MONGODB_URI) return Promise.resolve([{ name: 'external', uri: process.env.MONGODB_URI, driver: 'mongodb' }]);
  shared ??= startRunner(mongoServerNames()).then((runner) => {
    runners.add(runner);
    return runner.servers;
  });
  return shared;
}

/** A shared server by name. */
export async function getMongoServer(name: string): Promise<MongoServerInfo> {
  const server = (await getMongoServers()).find((s) => s.name === name);
  if (!server) throw new Error(`no MongoDB server "${name}" in this run`);
  return server;
}

/**
 * A server of its own that a test may stop and start again (outages); it keeps its port and its
 * data across restarts. Not available against MONGODB_URI.
 */
export class DedicatedMongoServer {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'mongo-dedicated-'));
  private runner: Runner | undefined;
  port = 0;
  info: MongoServerInfo | undefined;

  /** `port`: listen there (e.g. one a flow was configured with before the server existed). */
  constructor(readonly name: string, port = 0, private readonly tls?: ServerTlsFiles) {
    this.port = port;
  }

  get uri(): string {
    if (!this.info) throw new Error(`${this.name} was never started`);
    return this.info.uri;
  }

  async start(): Promise<MongoServerInfo> {
    const args = [this.name, '--data', this.dataDir, ...(this.port ? ['--port', String(this.port)] : [])];
    if (this.tls) args.push('--tls-cert', this.tls.cert, '--tls-key', this.tls.key, ...(this.tls.ca ? ['--tls-ca', this.tls.ca] : []));
    this.runner = await startRunner(args);
    runners.add(this.runner);
    this.info = this.runner.servers[0];
    this.port = Number(new URL(this.info.uri).port);
    return this.info;
  }

  async stop(): Promise<void> {
    if (!this.runner) return;
    runners.delete(this.runner);
    await stopRunner(this.runner);
    this.runner = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Connections the server holds open, counted on the server's side: its established sockets on
 * its port from /proc/net/tcp for a local server (no client of our own disturbs the count), else
 * serverStatus().connections.current minus the asking connection.
 */
export async function serverSideConnections(server: MongoServerInfo): Promise<number> {
  const first = /^mongodb:\/\/(?:[^@/]*@)?([^,/:]+)(?::(\d+))?[/,]?/.exec(server.uri);
  const [hostname, port] = first ? [first[1], first[2]] : ['', ''];
  if (/^(127\.|localhost$)/.test(hostname) && existsSync('/proc/net/tcp')) {
    const hexPort = Number(port || 27017).toString(16).toUpperCase().padStart(4, '0');
    let count = 0;
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        // local_address is "IP:PORT" in hex; state 01 is ESTABLISHED.
        if (cols.length > 3 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '01') count++;
      }
    }
    return count;
  }
  const client = new (driverModule(server).MongoClient)(server.uri);
  try {
    const status = await client.db('admin').command({ serverStatus: 1 });
    return (status.connections as { current: number }).current - 1;
  } finally {
    await client.close();
  }
}

/** Describes `body` once per server; `target()` gives the server and its driver inside hooks and tests. */
export function describeEachMongoServer(
  title: string,
  body: (target: () => { server: MongoServerInfo; driver: DriverModule }) => void,
): void {
  for (const name of mongoServerNames()) {
    describe(`${title} [${name}]`, function () {
      let current: { server: MongoServerInfo; driver: DriverModule } | undefined;
      before(async function () {
        this.timeout(240_000); // a limit, not a measure: a first run installs the servers, a busy machine starts them slowly
        const server = await getMongoServer(name);
        current = { server, driver: driverModule(server) };
      });
      body(() => {
        if (!current) throw new Error('MongoDB server not started yet (use target() inside hooks and tests)');
        return current;
      });
    });
  }
}

// Root hook: registered when a test file loads this helper, so the servers stop after the run.
if (typeof after === 'function') {
  after(async function () {
    this.timeout(30_000);
    await Promise.all([...runners].map(stopRunner));
    runners.clear();
  });
}
