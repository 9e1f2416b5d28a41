// The demo's local MongoDB-compatible server: FerretDB (SQLite backend) from scripts/db-servers.mjs,
// built once from source with Go, its data kept in .node-red-data/ferretdb so the demo's history
// survives a restart. The package's nodes use the mongodb 7 driver, which mongo-java-server (wire
// version 8) cannot serve, so FerretDB is the only local choice; otherwise MONGODB_URI.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, startServer } from '../db-servers.mjs';

function hasGo() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ferretdbBuilt() {
  const bin = path.join(cacheDir, 'bin');
  return existsSync(bin) && readdirSync(bin).some((f) => /^ferretdb-v[\d.]+$/.test(f));
}

export const NO_GO_MESSAGE = [
  'No MONGODB_URI was given and the local database (FerretDB) cannot be built: Go is not installed.',
  'Either install Go 1.21 or newer (Debian/Ubuntu: sudo apt-get install golang-go; otherwise https://go.dev/dl/)',
  'and run `npm start` again (the first start builds FerretDB once, which takes a few minutes),',
  'or point the demo at a MongoDB you have:',
  '  MONGODB_URI=mongodb://127.0.0.1:27017/industrial_iot npm start',
  '(for example `docker run -d -p 127.0.0.1:27017:27017 mongo:7`). Java is not needed for the demo:',
  'mongo-java-server is used only by the tests, with the older 6.x driver.',
].join('\n');

/** Starts FerretDB on a free loopback port; resolves to { kind, uri, stop }. */
export async function startLocalDatabase(root) {
  if (!ferretdbBuilt()) {
    if (!hasGo()) throw new Error(NO_GO_MESSAGE);
    console.log(`[start] building FerretDB once into ${cacheDir} (Go; takes a few minutes) ...`);
  }
  const server = await startServer('ferretdb', { dataDir: path.join(root, '.node-red-data', 'ferretdb') });
  return { kind: 'FerretDB', uri: `${server.uri}industrial_iot`, stop: server.stop };
}
