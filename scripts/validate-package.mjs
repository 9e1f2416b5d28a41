// Runs `node-red-dev validate` (the Node-RED flow library's package checks) on the built package
// and fails unless every check passes.
//
// node-red-dev 0.1.6 has two gaps this script closes:
// - It fetches https://catalogue.nodered.org/catalogue.json (checks P08 "similar package name"
//   and N01 "unique node types"), which is not reachable here. Its HTTP client (axios) honours
//   the https_proxy variable, so a proxy on loopback answers that request with a local catalogue:
//   Node-RED's own core node types (read from the installed node-red) plus the S7 and MongoDB
//   packages our users are most likely to have installed beside ours (scripts/validate-catalogue.json).
//   Requests to the npm registry (P06, P07, D02) are passed through to the configured registry.
// - It exits 0 even when checks fail. The scorecard it writes is the verdict: every expected
//   check must be present and pass. Its P05 (keyword) check cannot fail and a node whose editor
//   definition it cannot parse is silently skipped, so both are checked here as well.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const EXPECTED_CHECKS = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'N01', 'N02', 'D01', 'D02', 'D03'];
const CATALOGUE_HOST = 'catalogue.nodered.org';

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
}

function coreNodeTypes() {
  const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
  const types = new Set();
  for (const file of walk(coreDir).filter((f) => f.endsWith('.html'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(match[1]);
  }
  if (types.size < 40) throw new Error(`found only ${types.size} core node types under ${coreDir}`);
  return [...types].sort();
}

function catalogue() {
  const neighbours = JSON.parse(readFileSync(path.join(root, 'scripts', 'validate-catalogue.json'), 'utf8'));
  const version = require('node-red/package.json').version;
  return { name: 'Node-RED Community catalogue (offline subset)', updated_at: new Date().toISOString(), modules: [{ id: 'node-red', version, types: coreNodeTypes() }, ...neighbours.modules] };
}

function registryUrl() {
  return new URL(process.env.npm_config_registry || 'https://registry.npmjs.org/');
}

// A forward proxy that knows two destinations: the catalogue (answered locally) and the npm
// registry (passed through). Anything else is refused, so the tool cannot reach elsewhere.
function startProxy(catalogueJson) {
  const registry = registryUrl();
  const server = http.createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end('absolute URL expected');
      return;
    }
    if (target.hostname === CATALOGUE_HOST && target.pathname === '/catalogue.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(catalogueJson);
    } else if (target.hostname === registry.hostname) {
      const upstream = https.get(target, { headers: { accept: req.headers.accept || 'application/json' } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502).end(String(err)));
    } else {
      res.writeHead(403).end(`validate proxy: ${target.hostname} is not reachable from here`);
    }
  });
  // HTTPS clients that tunnel (CONNECT) may reach the registry only.
  server.on('connect', (req, socket, head) => {
    const [host, port] = req.url.split(':');
    if (host !== registry.hostname) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port) || 443, host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// The package as it would be published, with the build under test (OUT_DIR, as for
// scripts/build.mjs, else dist/) standing where package.json expects dist/.
function stagePackage(dir) {
  const build = path.resolve(root, process.env.OUT_DIR || 'dist');
  statSync(build);
  for (const entry of readdirSync(root)) {
    if (!['dist', '.git', '.cache'].includes(entry)) symlinkSync(path.join(root, entry), path.join(dir, entry));
  }
  symlinkSync(build, path.join(dir, 'dist'));
  return dir;
}

function runValidate(packageDir, proxyUrl, scorecardFile) {
  const env = { ...process.env, https_proxy: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, HTTP_PROXY: proxyUrl };
  delete env.no_proxy;
  delete env.NO_PROXY;
  const cli = path.join(path.dirname(require.resolve('node-red-dev/package.json')), 'bin', 'run');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'validate', '-p', packageDir, '-o', scorecardFile], { cwd: packageDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

function verdict(scorecard, output) {
  const problems = [];
  for (const id of EXPECTED_CHECKS) {
    if (!scorecard[id]) problems.push(`${id}: check did not run`);
    else if (scorecard[id].test !== true) problems.push(`${id}: failed ${JSON.stringify(scorecard[id])}`);
  }
  if (!pkg.keywords?.includes('node-red')) problems.push('P05: keywords must contain "node-red"');
  for (const line of output.split('\n').filter((l) => /Unable to parse/.test(l))) problems.push(`N: ${line.trim()} (the editor definition must be RED.nodes.registerType('<type>', { ...object literal... }))`);
  const declared = Object.keys(pkg['node-red']?.nodes ?? {});
  if (declared.length === 0) problems.push('package.json node-red.nodes declares no nodes');
  return problems;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'validate-'));
const scorecardFile = path.join(tmp, 'scorecard.json');
const proxy = await startProxy(JSON.stringify(catalogue()));
let problems;
try {
  const { port } = proxy.address();
  const packageDir = stagePackage(mkdtempSync(path.join(tmp, 'package-')));
  const result = await runValidate(packageDir, `http://127.0.0.1:${port}`, scorecardFile);
  let scorecard;
  try {
    scorecard = JSON.parse(readFileSync(scorecardFile, 'utf8'));
  } catch (err) {
    throw new Error(`node-red-dev wrote no scorecard (exit ${result.code ?? result.signal}): ${err.message}`);
  }
  console.log(`scorecard: ${JSON.stringify(scorecard)}`);
  problems = verdict(scorecard, result.output);
} finally {
  proxy.close();
  rmSync(tmp, { recursive: true, force: true });
}
if (problems.length) {
  console.error(`validate: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`validate: all ${EXPECTED_CHECKS.length} node-red-dev checks pass`);
