// Installs the peer nodes the benchmarks compare against into bench/peers/node_modules
// (git-ignored), under the team's npm lock when flock is available.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const peersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peers');
const npm = ['npm', 'install', '--no-audit', '--no-fund', '--prefix', peersDir];
try {
  execFileSync('flock', ['/tmp/npm.lock', ...npm], { stdio: 'inherit' });
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
  execFileSync(npm[0], npm.slice(1), { stdio: 'inherit' });
}
