// `npm start`: the whole pipeline on one machine. Starts the PLC simulator (two machines: one
// producing steadily, one with stoppages) unless PLC_HOST names a real PLC, a local
// MongoDB-compatible server unless MONGODB_URI names a real database, seeds the application's demo
// configuration when that database has none, and runs Node-RED with this package and the default
// flow at http://127.0.0.1:1880 (NODE_RED_PORT). Ctrl-C stops everything it started.
// Every start deploys flows/default-flow.json afresh; `npm start -- --keep-flows` keeps the flow as
// edited in an earlier run. State (flows, context, the local database) lives in .node-red-data/
// (DEMO_DATA_DIR elsewhere).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { startSimulator } from './demo/simulator.mjs';
import { startLocalDatabase } from './demo/database.mjs';

const require = createRequire(import.meta.url);
const { prepareUserDir, stagePackage, startNodeRed } = require('./demo/node-red.cjs');
const { seedIfEmpty } = require('./demo/seed.cjs');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The build to run: dist/ (what `npm start` builds), or BUILD_DIR for a developer's own build
// directory (OUT_DIR of scripts/build.mjs).
const buildDir = path.resolve(root, process.env.BUILD_DIR ?? 'dist');
// The simulator's demo preset: which machine has its power and cycle bits on which pin.
const { DEMO_MACHINES } = require(path.join(buildDir, 'sim', 'cli.js'));
const dataDir = path.resolve(root, process.env.DEMO_DATA_DIR ?? '.node-red-data');
const { values: options } = parseArgs({ options: { 'keep-flows': { type: 'boolean', default: false } } });
const say = (text) => console.log(`[start] ${text}`);

const stoppers = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('stopping ...');
  for (const stop of stoppers.reverse()) {
    try { await stop(); } catch (err) { console.error(`[start] ${err.message}`); }
  }
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function main() {
  const env = {
    PLC_RACK: process.env.PLC_RACK ?? '0',
    PLC_SLOT: process.env.PLC_SLOT ?? '1',
    // The plant's timezone: the system's unless PLANT_TZ says otherwise.
    PLANT_TZ: process.env.PLANT_TZ || Intl.DateTimeFormat().resolvedOptions().timeZone,
  };

  if (process.env.PLC_HOST) {
    env.PLC_HOST = process.env.PLC_HOST;
    env.PLC_PORT = process.env.PLC_PORT ?? '102';
    say(`PLC: ${env.PLC_HOST}:${env.PLC_PORT} (PLC_HOST given, no simulator)`);
  } else {
    const sim = await startSimulator(buildDir);
    stoppers.push(sim.stop);
    env.PLC_HOST = '127.0.0.1';
    env.PLC_PORT = String(sim.port);
    say(`PLC simulator on 127.0.0.1:${sim.port}: press-1 producing steadily, lathe-2 standing still 4 min out of every 10`);
  }

  let uri = process.env.MONGODB_URI;
  let driver = process.env.S7P_MONGO_DRIVER || 'mongodb'; // as the mongo-connection chooses it (the Node-RED child inherits the variable)
  let nodeRedSettings = {};
  let preparing;
  if (uri) {
    say(`MongoDB: ${redact(uri)} (MONGODB_URI given, no local server)`);
  } else {
    const db = await startLocalDatabase(dataDir);
    stoppers.push(db.stop);
    ({ uri, driver, nodeRedSettings, preparing } = db);
    say(`local ${db.kind} on ${uri}`);
  }
  env.MONGODB_URI = uri;
  env.MONGODB_DB = process.env.MONGODB_DB ?? '';

  const seeded = await seedDemo(uri, env.MONGODB_DB, driver);
  say(seeded ? `seeded the demo configuration: department "Demo line", machines ${DEMO_MACHINES.map((m) => m.name).join(' and ')}, their power and unit-cycle sensors on pins DQ.0-DQ.3, configs`
    : 'the database already holds a plant configuration: left as it is');

  const packageDir = buildDir === path.join(root, 'dist') ? root : stagePackage(root, buildDir, path.join(dataDir, 'package'));
  prepareUserDir({ userDir: dataDir, packageDir, flowSource: path.join(root, 'flows', 'default-flow.json'), keepFlows: options['keep-flows'], settings: nodeRedSettings });
  const port = Number(process.env.NODE_RED_PORT ?? 1880);
  const nodeRed = await startNodeRed({
    userDir: dataDir,
    port,
    env,
    onLine: (line) => console.log(`[node-red] ${line}`),
  });
  stoppers.push(() => nodeRed.stop());
  say(`Node-RED editor: ${nodeRed.url}  (Ctrl-C stops everything)`);
  if (preparing) say(`still being prepared: ${preparing}`);
  nodeRed.exited.then(({ code, signal }) => {
    if (!stopping) { console.error(`[start] Node-RED exited (${signal ?? code})`); stopAll(1); }
  });
}

/** The connection string without its password, for the console. */
function redact(uri) {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** The database the flow writes to: MONGODB_DB, else the URI's, else industrial_iot. */
function databaseName(uri, explicit) {
  if (explicit) return explicit;
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return (match && decodeURIComponent(match[1])) || 'industrial_iot';
}

async function seedDemo(uri, dbName, driver) {
  const { MongoClient, ObjectId } = require(driver);
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  try {
    await client.connect();
    return await seedIfEmpty(client.db(databaseName(uri, dbName)), {
      ObjectId,
      department: 'Demo line',
      machines: DEMO_MACHINES.map(({ name, powerPin, cyclePin }) => ({ name, powerPin, cyclePin })),
    });
  } finally {
    await client.close();
  }
}

main().catch(async (err) => {
  console.error(`[start] ${err.message}`);
  await stopAll(1);
});
