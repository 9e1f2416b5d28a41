// The demo's local MongoDB-compatible server, from scripts/db-servers.mjs, its data kept in the
// demo's data directory so the demo's history survives a restart. FerretDB (SQLite backend, built
// once from source with Go, several minutes) is preferred once built. Until then the demo runs on
// mongo-java-server (H2 backend, fetched with Maven in seconds, needs Java), which speaks an older
// wire version, so Node-RED is told to use the mongodb 6.x driver (setting s7productionMongoDriver),
// while FerretDB builds in the background for later starts (stopped with the demo; Go's build
// cache lets the next start's build carry on where it was).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, startServer } from '../db-servers.mjs';

const dbServersScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'db-servers.mjs');

function runs(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ferretdbBuilt() {
  const bin = path.join(cacheDir, 'bin');
  return existsSync(bin) && readdirSync(bin).some((f) => /^ferretdb-v[\d.]+$/.test(f));
}

function mongoJavaServerInstalled() {
  return existsSync(cacheDir) && readdirSync(cacheDir).some((f) => f.startsWith('mongo-java-server-')
    && existsSync(path.join(cacheDir, f, 'classes', 'Launcher.class')));
}

/** Builds FerretDB in a process group of its own, at low priority; resolves to stop(). */
function buildFerretdbInBackground(logFile) {
  const out = openSync(logFile, 'a');
  const child = spawn('nice', ['-n', '10', process.execPath, dbServersScript, 'install', 'ferretdb'], { stdio: ['ignore', out, out], detached: true });
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.once('exit', (code) => { exited = true; resolve(code); }));
  child.once('error', () => { exited = true; });
  exitedPromise.then((code) => {
    if (code === 0) console.log('[start] FerretDB is built: the next `npm start` uses it (with a new demo database)');
    else if (code !== null) console.log(`[start] building FerretDB failed (exit ${code}); see ${logFile}`);
  });
  return async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM'); // the whole group: node, go and its compilers
    } catch {
      return;
    }
    await exitedPromise;
  };
}

export const NO_SERVER_MESSAGE = [
  'No MONGODB_URI was given, and no local MongoDB-compatible server can be set up:',
  'FerretDB needs Go (1.21 or newer) to be built once, mongo-java-server needs Java (17 or newer) and Maven.',
  'Do one of these, then run `npm start` again:',
  '  - install Go:   sudo apt-get install golang-go   (or https://go.dev/dl/); the first start builds FerretDB (a few minutes)',
  '  - install Java: sudo apt-get install default-jdk-headless maven',
  '  - use a MongoDB you have:  MONGODB_URI=mongodb://127.0.0.1:27017/industrial_iot npm start',
  '    (for example one started with: docker run -d -p 127.0.0.1:27017:27017 mongo:7)',
].join('\n');

/**
 * Starts a local server on a free loopback port; resolves to { kind, uri, driver, nodeRedSettings,
 * stop, preparing } (`preparing`: what is still being set up in the background, or undefined).
 */
export async function startLocalDatabase(dataRoot) {
  const goAvailable = ferretdbBuilt() || runs('go', ['version']);
  const javaAvailable = mongoJavaServerInstalled() || (runs('java', ['-version']) && runs('mvn', ['-v']));
  if (ferretdbBuilt() || (goAvailable && !javaAvailable)) {
    if (!ferretdbBuilt()) console.log(`[start] building FerretDB once into ${cacheDir} (takes a few minutes; with Java and Maven, the demo would start at once on mongo-java-server) ...`);
    const server = await startServer('ferretdb', { dataDir: path.join(dataRoot, 'ferretdb') });
    return { kind: 'FerretDB', uri: `${server.uri}industrial_iot`, driver: server.driver, nodeRedSettings: {}, stop: server.stop };
  }
  if (javaAvailable) {
    let stopBuild = async () => {};
    let preparing;
    if (goAvailable) {
      mkdirSync(dataRoot, { recursive: true });
      const logFile = path.join(dataRoot, 'ferretdb-build.log');
      stopBuild = buildFerretdbInBackground(logFile);
      preparing = `FerretDB, built in the background for later starts (log: ${logFile})`;
    } else {
      console.log('[start] Go is missing, so FerretDB cannot be built: using mongo-java-server');
    }
    try {
      const server = await startServer('mongo-java-server', { dataDir: path.join(dataRoot, 'mongo-java-server') });
      return {
        kind: 'mongo-java-server',
        uri: `${server.uri}industrial_iot`,
        driver: server.driver,
        nodeRedSettings: { s7productionMongoDriver: server.driver },
        stop: async () => { await Promise.all([server.stop(), stopBuild()]); },
        preparing,
      };
    } catch (err) {
      await stopBuild();
      throw err;
    }
  }
  throw new Error(NO_SERVER_MESSAGE);
}
