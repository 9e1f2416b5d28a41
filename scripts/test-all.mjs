// `npm test`: the build, then every check, suite and lane, each run even when another fails;
// then the totals, and a non-zero exit if anything failed.
//
//   node scripts/test-all.mjs [--serial] [--only NAME ...] [--list]
//
// After the build (and the installs of the database servers and the Node 22 lane, when not
// cached yet), these streams run side by side (most runtime and editor tests wait on real
// time, sockets and child processes, not on the CPU), each running its steps one after another:
//   node20      unit, runtime, editor tests on Node 20 + Node-RED 4.1 (this repository's node_modules)
//   node20-e2e  the default flow's simulated hour (the longest test file) on Node 20
//   node20-torture  the lifecycle torture test on Node 20 (test/runtime/lifecycle, about 6 minutes)
//   node22      unit, runtime, editor tests on Node 22 + Node-RED 5 (scripts/node22-lane.mjs)
//   node22-e2e  the simulated hour on Node 22
//   checks      lint (ESLint, HTML), typecheck, node-red-dev validate
// Together they run the tests of test:unit, test:runtime, test:editor and test:node22.
// A step's output is printed in one piece when it ends (so streams do not interleave lines, and
// mocha's "N passing" lines stay whole for .ci/run's summary); while it runs it is also written
// to a log file in TEST_LOG_DIR (default: a new temporary directory), named when the step starts.
// --serial runs the streams one after another (slower; for a machine that must stay quiet).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const mocha = [process.execPath, require.resolve('mocha/bin/mocha.js'), '--config', '.mocharc.json'];
const E2E = 'dist/test/runtime/flow/default-flow.e2e.test.js';
// The lifecycle torture test (deploys, kill -9s, PLC and database outages, operators' edits): long
// and mostly idle, so a stream of its own, which keeps every stream near the longest one's length;
// the Node 20 lane only (what it checks is the package's lifecycle, not what differs between lanes).
const TORTURE = 'dist/test/runtime/lifecycle/torture.test.js';
const NODE20 = { EXPECT_NODE_RED_MAJOR: '4' };

const BUILD = { name: 'build', command: ['npm', 'run', '--silent', 'build'] };
// Installed once before the streams start (no-ops when cached): several streams would otherwise
// install the same thing into the same cache at the same time.
const INSTALLS = {
  servers: { name: 'install database servers', command: ['node', 'scripts/db-servers.mjs', 'install'] },
  lane: { name: 'install the Node 22 lane', command: ['node', 'scripts/node22-lane.mjs', 'install'] },
};
const STREAMS = {
  node20: [
    { name: 'node20 unit', command: [...mocha, 'dist/test/unit/**/*.test.js'] },
    { name: 'node20 runtime', command: [...mocha, '--timeout', '60000', '--ignore', E2E, '--ignore', TORTURE, 'dist/test/runtime/**/*.test.js'], env: NODE20 },
    { name: 'node20 editor', command: [...mocha, '--timeout', '120000', 'dist/test/editor/**/*.test.js'] },
  ],
  'node20-e2e': [{ name: 'node20 e2e', command: [...mocha, '--timeout', '60000', E2E], env: NODE20 }],
  'node20-torture': [{ name: 'node20 torture', command: [...mocha, '--timeout', '60000', TORTURE], env: NODE20 }],
  // One lane run for its three suites: the lane stages the build once, and runs every suite even
  // when one fails.
  node22: [{ name: 'node22 unit+runtime+editor', command: ['node', 'scripts/node22-lane.mjs', 'test', 'unit', 'runtime', 'editor', '--ignore', E2E, '--ignore', TORTURE] }],
  'node22-e2e': [{ name: 'node22 e2e', command: ['node', 'scripts/node22-lane.mjs', 'test', E2E] }],
  checks: [
    { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
    { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
    { name: 'validate', command: ['npm', 'run', '--silent', 'validate'] },
  ],
};

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      serial: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      list: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(`test-all: ${err.message} (usage: [--serial] [--only STREAM ...] [--list])`);
  process.exit(2);
}

if (options.list) {
  for (const [stream, steps] of Object.entries(STREAMS)) console.log(`${stream}: ${steps.map((s) => s.name).join(', ')}`);
  process.exit(0);
}
const unknown = (options.only ?? []).filter((name) => !STREAMS[name]);
if (unknown.length) {
  console.error(`test-all: unknown stream ${unknown.join(', ')} (streams: ${Object.keys(STREAMS).join(', ')})`);
  process.exit(2);
}
const streams = Object.entries(STREAMS).filter(([name]) => !options.only || options.only.includes(name));

const logDir = process.env.TEST_LOG_DIR ? path.resolve(process.env.TEST_LOG_DIR) : mkdtempSync(path.join(os.tmpdir(), 'test-all-'));
mkdirSync(logDir, { recursive: true });
const started = Date.now();
const seconds = (since) => Math.round((Date.now() - since) / 1000);
const results = [];

/** Mocha's closing counts in a step's output (colours removed). */
function mochaCounts(output) {
  const plain = stripVTControlCharacters(output);
  const sum = (word) => [...plain.matchAll(new RegExp(`^ +(\\d+) ${word}\\b`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { passing: sum('passing'), failing: sum('failing'), pending: sum('pending') };
}

function runStep(step) {
  const since = Date.now();
  const logFile = path.join(logDir, `${step.name.replace(/\W+/g, '-')}.log`);
  const log = createWriteStream(logFile);
  console.log(`test-all: ${step.name} started (log: ${logFile})`);
  return new Promise((resolve) => {
    const chunks = [];
    const child = spawn(step.command[0], step.command.slice(1), { cwd: root, env: { ...process.env, ...step.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk) => {
      chunks.push(chunk);
      log.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const finish = (status, error) => {
      log.end();
      const output = Buffer.concat(chunks).toString('utf8') + (error ? `\n${error.message}\n` : '');
      const result = { name: step.name, status, seconds: seconds(since), ...mochaCounts(output) };
      results.push(result);
      console.log(`\n=== ${step.name}: ${status === 0 ? 'passed' : `FAILED (exit ${status})`} in ${result.seconds} s ===`);
      process.stdout.write(output.endsWith('\n') || !output ? output : `${output}\n`);
      resolve(result);
    };
    child.once('error', (err) => finish(127, err));
    child.once('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  });
}

async function runStream(steps) {
  for (const step of steps) await runStep(step);
}

const build = await runStep(BUILD);
if (build.status === 0) {
  const selected = streams.map(([name]) => name);
  if (selected.some((name) => name.startsWith('node'))) await runStep(INSTALLS.servers);
  if (selected.some((name) => name.startsWith('node22'))) await runStep(INSTALLS.lane);
  if (options.serial) {
    for (const [, steps] of streams) await runStream(steps);
  } else {
    await Promise.all(streams.map(([, steps]) => runStream(steps)));
  }
} else {
  // Without a build nothing can be tested; the checks that need no build still run.
  await runStream(STREAMS.checks.filter((step) => step.name !== 'validate'));
  console.log('\ntest-all: the build failed, so no tests ran and validate did not run');
}

const failed = results.filter((r) => r.status !== 0);
const total = (key) => results.reduce((n, r) => n + r[key], 0);
console.log('\n=== test-all: summary ===');
for (const r of results) {
  const counts = r.passing + r.failing + r.pending ? `  (${r.passing} passed, ${r.failing} failed, ${r.pending} skipped)` : '';
  console.log(`  ${r.status === 0 ? 'ok    ' : 'FAILED'}  ${r.name.padEnd(28)} ${String(r.seconds).padStart(4)} s${counts}`);
}
console.log(`test-all: ${total('passing')} tests passed, ${total('failing')} failed, ${total('pending')} skipped; `
  + `${results.length - failed.length} of ${results.length} steps passed${build.status === 0 ? '' : ' (no tests: the build failed)'}; ${seconds(started)} s; logs in ${logDir}`);
process.exit(failed.length || build.status !== 0 ? 1 : 0);
