/**
 * Shared by the end-to-end flow test and the editor tests: the repository's demo machinery
 * (scripts/demo/*.cjs, also used by `npm start`) with types, and the locations of the build under test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';

/** The build these tests are part of (dist/ or an OUT_DIR): <build>/test/runtime/flow/harness.js. */
export const buildDir = path.resolve(__dirname, '..', '..', '..');

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'scripts', 'demo'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

export const repoRoot = findRepoRoot(buildDir);

export interface NodeRedProcess {
  url: string;
  child: ChildProcess;
  log: string[];
  stop(timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

interface NodeRedModule {
  freePort(): Promise<number>;
  stagePackage(repoRoot: string, buildDir: string, stageDir: string): string;
  prepareUserDir(options: {
    userDir: string; packageDir: string; flowSource?: string; keepFlows?: boolean; settings?: Record<string, unknown>;
  }): { flowFile: string };
  startNodeRed(options: {
    userDir: string; port: number; env?: Record<string, string>; nodeRedPath?: string; execArgv?: string[];
    onLine?: (line: string) => void; startTimeoutMs?: number;
  }): Promise<NodeRedProcess>;
}

export interface MachineSpec { name: string; description?: string; powerPin?: number; cyclePin?: number }
export interface PlantSpec {
  department: string;
  machines: MachineSpec[];
  now?: Date;
  /** The ObjectId class of the driver that writes the documents. */
  ObjectId?: new () => unknown;
  signalTimeouts?: { powerSignalTimeout: number; cycleSignalTimeout: number };
  shifts?: { name: string; startTime: string; endTime: string }[];
}
/** Documents as the application's Mongoose models create them. */
export interface PlantDocuments {
  departments: Record<string, unknown>[];
  machines: Record<string, unknown>[];
  sensors: Record<string, unknown>[];
  sensorpinmappings: Record<string, unknown>[];
  configs: Record<string, unknown>[];
}
interface SeedModule {
  CONFIGURATION_COLLECTIONS: string[];
  plantDocuments(spec: PlantSpec): PlantDocuments;
  seedIfEmpty(db: unknown, spec: PlantSpec): Promise<PlantDocuments | undefined>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const nodeRed = require(path.join(repoRoot, 'scripts', 'demo', 'node-red.cjs')) as NodeRedModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const seed = require(path.join(repoRoot, 'scripts', 'demo', 'seed.cjs')) as SeedModule;

/** red.js of the Node-RED under test: NODE_RED_PATH (a node-red package directory) in the Node-RED 5 lane. */
export const nodeRedPath = process.env.NODE_RED_PATH
  ? path.join(process.env.NODE_RED_PATH, 'red.js')
  : require.resolve('node-red/red.js');

/**
 * Node-RED in a child process with this build loaded as the package, in a fresh temporary user
 * directory, on a free loopback port. `flowSource` is deployed at start.
 */
export async function startNodeRedWithPackage(options: {
  flowSource?: string; env?: Record<string, string>; settings?: Record<string, unknown>; execArgv?: string[];
  onLine?: (line: string) => void;
} = {}): Promise<NodeRedProcess & { userDir: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-s7-'));
  const packageDir = nodeRed.stagePackage(repoRoot, buildDir, path.join(home, 'package'));
  const userDir = path.join(home, 'user');
  nodeRed.prepareUserDir({ userDir, packageDir, flowSource: options.flowSource, settings: options.settings });
  const port = await nodeRed.freePort();
  const running = await nodeRed.startNodeRed({
    userDir, port, env: options.env, nodeRedPath, execArgv: options.execArgv, onLine: options.onLine,
  });
  return { ...removingOnStop(running, home), userDir };
}

/** The process, whose stop() also removes its temporary directory. */
export function removingOnStop(running: NodeRedProcess, dir: string): NodeRedProcess {
  return {
    ...running,
    async stop(timeoutMs?: number) {
      await running.stop(timeoutMs);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Node-RED user directory with this build as the package, on a fixed loopback port, that can be
 * started again after its process ended (or was killed): the flows deployed meanwhile and the
 * context files stay, as on a plant PC whose Node-RED restarts.
 */
export interface NodeRedHome {
  userDir: string;
  port: number;
  url: string;
  /** Starts Node-RED on this directory with the flows it holds; resolves once it serves the editor. */
  start(): Promise<NodeRedProcess>;
  /** Removes the directory (stop or kill the process first). */
  dispose(): void;
}

export async function prepareNodeRedHome(options: {
  flowSource?: string; env?: Record<string, string>; settings?: Record<string, unknown>; execArgv?: string[];
  onLine?: (line: string) => void;
}): Promise<NodeRedHome> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-s7-'));
  const packageDir = nodeRed.stagePackage(repoRoot, buildDir, path.join(home, 'package'));
  const userDir = path.join(home, 'user');
  const port = await nodeRed.freePort();
  return {
    userDir,
    port,
    url: `http://127.0.0.1:${port}`,
    start: () => {
      nodeRed.prepareUserDir({ userDir, packageDir, flowSource: options.flowSource, keepFlows: true, settings: options.settings });
      return nodeRed.startNodeRed({ userDir, port, env: options.env, nodeRedPath, execArgv: options.execArgv, onLine: options.onLine });
    },
    dispose: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

/** Fault injection: SIGKILL, as a crash or a power cut of the PC would end Node-RED; resolves once it is gone. */
export async function killHard(running: NodeRedProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running.exited;
}
