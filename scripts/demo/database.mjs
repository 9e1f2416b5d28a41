// The demo's local MongoDB-compatible server, from scripts/db-servers.mjs, its data kept in the
// demo's data directory so the demo's history survives a restart. FerretDB (SQLite backend, built once
// from source with Go) is preferred; without Go, mongo-java-server (H2 backend, fetched once with
// Maven, needs Java), which speaks an older wire version: Node-RED is then told to use the
// mongodb 6.x driver (setting s7productionMongoDriver).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, startServer } from '../db-servers.mjs';

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

export const NO_SERVER_MESSAGE = [
  'No MONGODB_URI was given, and no local MongoDB-compatible server can be set up:',
  'FerretDB needs Go (1.21 or newer) to be built once, mongo-java-server needs Java (17 or newer) and Maven.',
  'Do one of these, then run `npm start` again:',
  '  - install Go:   sudo apt-get install golang-go   (or https://go.dev/dl/); the first start builds FerretDB (a few minutes)',
  '  - install Java: sudo apt-get install default-jdk-headless maven',
  '  - use a MongoDB you have:  MONGODB_URI=mongodb://127.0.0.1:27017/industrial_iot npm start',
  '    (for example one started with: docker run -d -p 127.0.0.1:27017:27017 mongo:7)',
].join('\n');

/** Starts a local server on a free loopback port; resolves to { kind, uri, driver, nodeRedSettings, stop }. */
export async function startLocalDatabase(dataRoot) {
  if (ferretdbBuilt() || runs('go', ['version'])) {
    if (!ferretdbBuilt()) console.log(`[start] building FerretDB once into ${cacheDir} (takes a few minutes) ...`);
    const server = await startServer('ferretdb', { dataDir: path.join(dataRoot, 'ferretdb') });
    return { kind: 'FerretDB', uri: `${server.uri}industrial_iot`, driver: server.driver, nodeRedSettings: {}, stop: server.stop };
  }
  if (mongoJavaServerInstalled() || (runs('java', ['-version']) && runs('mvn', ['-v']))) {
    console.log('[start] Go is missing, so FerretDB cannot be built: using mongo-java-server instead');
    const server = await startServer('mongo-java-server', { dataDir: path.join(dataRoot, 'mongo-java-server') });
    return {
      kind: 'mongo-java-server',
      uri: `${server.uri}industrial_iot`,
      driver: server.driver,
      nodeRedSettings: { s7productionMongoDriver: server.driver },
      stop: server.stop,
    };
  }
  throw new Error(NO_SERVER_MESSAGE);
}
