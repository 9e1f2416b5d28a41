/**
 * `npm start` (scripts/start.mjs, run on this build): the simulator, a local database (or
 * MONGODB_URI), the seed only into an empty database, Node-RED with the default flow producing
 * documents, and Ctrl-C (SIGINT) stopping every process it started.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { driverModule } from '../../helpers/mongo-servers';
import { waitFor } from '../../helpers/wait';
import { buildDir, nodeRed, repoRoot } from './harness';

const EXTERNAL_DB = `npm_start_${Date.now().toString(36)}`;

interface Started { child: ChildProcess; lines: string[]; url: string; uri: string; driver: 'mongodb' | 'mongodb6' }

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function start(dataDir: string): Promise<Started> {
  const port = await nodeRed.freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, BUILD_DIR: buildDir, DEMO_DATA_DIR: dataDir, NODE_RED_PORT: String(port) };
  for (const name of ['PLC_HOST', 'PLC_PORT', 'MONGODB_DB', 'PLANT_TZ']) delete env[name];
  // against a MONGODB_URI of the user's, a database of this test's own
  if (process.env.MONGODB_URI) env.MONGODB_DB = EXTERNAL_DB;
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const onData = (chunk: Buffer): void => { lines.push(...String(chunk).split('\n').filter(Boolean)); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // A first run installs a database server (mongo-java-server takes seconds; FerretDB without Java, minutes).
  await waitFor(`npm start comes up (output so far:\n${lines.slice(-30).join('\n')})`, () => {
    assert.equal(child.exitCode, null, `npm start exited:\n${lines.slice(-30).join('\n')}`);
    return lines.some((l) => l.startsWith('[start] Node-RED editor:'));
  }, 240_000);
  const uri = process.env.MONGODB_URI ?? /\[start\] local \S+ on (\S+)/.exec(lines.join('\n'))![1];
  const driver = lines.some((l) => l.includes('mongo-java-server')) ? 'mongodb6' : 'mongodb';
  return { child, lines, url: `http://127.0.0.1:${port}`, uri, driver };
}

async function interrupt(started: Started): Promise<{ code: number | null; leftovers: number[] }> {
  const processes = descendants(started.child.pid!);
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  started.child.kill('SIGINT');
  const code = await exited;
  return { code, leftovers: processes.filter(alive) };
}

describe('npm start', function () {
  this.timeout(300_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
  const clients: MongoClient[] = [];

  /** The demo's database (the local server's port changes with every start). */
  async function demoDb(started: Started): Promise<Db> {
    const client = new (driverModule({ driver: started.driver }).MongoClient)(started.uri) as unknown as MongoClient;
    clients.push(client);
    await client.connect();
    return client.db(process.env.MONGODB_URI ? EXTERNAL_DB : 'industrial_iot');
  }

  after(async () => {
    if (process.env.MONGODB_URI && clients[0]) await clients[0].db(EXTERNAL_DB).dropDatabase().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the pipeline: seeded configuration, the default flow, production documents; Ctrl-C stops all', async () => {
    const started = await start(dataDir);
    try {
      assert.ok(started.lines.some((l) => l.includes('seeded the demo configuration')), started.lines.join('\n'));
      // The admin API answers before the flows are loaded (then not with the flow's node list).
      const flows = await waitFor('the default flow served by GET /flows', async () => {
        const res = await fetch(`${started.url}/flows`);
        const body = res.ok ? ((await res.json()) as unknown) : undefined;
        return Array.isArray(body) && body.length > 0 ? (body as Array<{ type: string }>) : undefined;
      });
      for (const type of ['plc-reader', 'edge-counter', 'hourly-aggregator', 'mongo-sink']) assert.ok(flows.some((n) => n.type === type), type);

      const db = await demoDb(started);
      const counts = await Promise.all(['departments', 'machines', 'sensors', 'sensorpinmappings', 'configs'].map((c) => db.collection(c).countDocuments()));
      assert.deepEqual(counts, [1, 2, 4, 4, 1]);
      assert.deepEqual((await db.collection('sensorpinmappings').find().toArray()).map((m) => m.pinId).sort(), ['DQ.0', 'DQ.1', 'DQ.2', 'DQ.3']);
      // The aggregator writes an open hour once a minute: a production document comes after about one.
      await waitFor('a production document', async () => await db.collection('productionrecords').countDocuments() > 0, 3 * 60_000);
    } finally {
      const { code, leftovers } = await interrupt(started);
      assert.equal(code, 0, `exit code; output:\n${started.lines.slice(-20).join('\n')}`);
      assert.deepEqual(leftovers, [], 'every process npm start started has exited');
    }
  });

  it('a second start leaves the existing configuration alone', async () => {
    const started = await start(dataDir);
    try {
      assert.ok(started.lines.some((l) => l.includes('already holds a plant configuration')), started.lines.join('\n'));
      const db = await demoDb(started);
      assert.equal(await db.collection('machines').countDocuments(), 2);
    } finally {
      const { code, leftovers } = await interrupt(started);
      assert.equal(code, 0);
      assert.deepEqual(leftovers, []);
    }
  });
});
