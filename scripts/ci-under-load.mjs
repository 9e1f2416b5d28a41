// The load check: the whole CI (.ci/run) in a fresh clone of this repository's main branch, with a
// load generator keeping the machine busy, so that a test depending on the machine's speed fails
// here rather than on a user's shared plant PC or CI runner.
//
//   node scripts/ci-under-load.mjs [--runs 3] [--workers 4] [--io] [--ref main] [--keep] [--dry-run]
//
//   --runs N     runs in a row (default 3), each in a fresh clone; stops at the first failing run
//   --workers N  busy worker threads (default 4: both cores of a 2-core machine, twice over)
//   --io         also a worker writing and fsyncing a file in the temporary directory
//   --ref REF    the branch or commit to clone (default main)
//   --keep       keep the clones (their paths are printed)
//   --dry-run    print what would run, run nothing
//
// Prints each run's time, test counts and load average, and exits with the status of the first
// failing .ci/run (0 when every run passed). Runs for a long time and makes the machine slow for
// everyone on it: on a shared machine, agree on a time first.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { Worker } from 'node:worker_threads';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    workers: { type: 'string', default: '4' },
    io: { type: 'boolean', default: false },
    ref: { type: 'string', default: 'main' },
    keep: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
  },
});
const positiveInteger = (name, text, min) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`ci-under-load: --${name} must be a whole number of at least ${min}, not "${text}"`);
    process.exit(2);
  }
  return n;
};
const runs = positiveInteger('runs', options.runs, 1);
const workers = positiveInteger('workers', options.workers, 0);

// The repository's own object store (also right when this runs from a linked worktree).
const gitDir = path.resolve(root, execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim());
const commit = execFileSync('git', ['rev-parse', '--verify', `${options.ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
const say = (text) => console.log(`[ci-under-load] ${text}`);

say(`${runs} run(s) of .ci/run on ${options.ref} (${commit.slice(0, 12)}) from ${gitDir}, each in a fresh clone, `
  + `with ${workers} busy worker thread(s)${options.io ? ' and a disk writer' : ''} on ${os.cpus().length} core(s)`);
if (options['dry-run']) {
  say(`would run: git clone --quiet --no-checkout ${gitDir} <tmp>/repo && git -C <tmp>/repo checkout --quiet ${commit}; `
    + 'CI=true bash .ci/run (in <tmp>/repo)');
  process.exit(0);
}

const BUSY = 'for (;;) { Math.sqrt(Math.random()); }';
const DISK = `
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const block = Buffer.alloc(4 << 20, 7);
for (let i = 0; ; i++) {
  const fd = fs.openSync(workerData, i % 64 === 0 ? 'w' : 'a');
  fs.writeSync(fd, block);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}`;

/** Starts the load; resolves to a function that stops it. */
function startLoad(dir) {
  const threads = Array.from({ length: workers }, () => new Worker(BUSY, { eval: true }));
  if (options.io) threads.push(new Worker(DISK, { eval: true, workerData: path.join(dir, 'disk-load.bin') }));
  for (const t of threads) t.on('error', (err) => say(`load worker failed: ${err.message}`));
  return async () => {
    await Promise.all(threads.map((t) => t.terminate()));
  };
}

/** Runs .ci/run in `clone`, echoing its output; resolves to its status and the counts it printed. */
function runCi(clone) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['.ci/run'], { cwd: clone, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const echo = (stream) => (chunk) => {
      stream.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.once('error', (err) => resolve({ status: 127, counts: err.message }));
    child.once('close', (code, signal) => {
      const counts = /tests: \d+ passed, \d+ failed, \d+ skipped/.exec(stripVTControlCharacters(tail));
      resolve({ status: code ?? (signal ? 128 : 1), counts: counts ? counts[0] : 'tests: no count printed' });
    });
  });
}

const results = [];
let status = 0;
for (let run = 1; run <= runs && status === 0; run++) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ci-under-load-'));
  const clone = path.join(dir, 'repo');
  execFileSync('git', ['clone', '--quiet', '--no-checkout', gitDir, clone], { stdio: 'inherit' });
  execFileSync('git', ['checkout', '--quiet', commit], { cwd: clone, stdio: 'inherit' });
  say(`run ${run}/${runs} in ${clone}`);
  const stopLoad = startLoad(dir);
  const loads = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]), 5000);
  const started = Date.now();
  const result = await runCi(clone);
  const minutes = (Date.now() - started) / 60_000;
  clearInterval(sampler);
  await stopLoad();
  const load = loads.length ? `load average ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)} mean, ${Math.max(...loads).toFixed(1)} max` : 'load not sampled';
  results.push(`run ${run}: ${result.status === 0 ? 'passed' : `FAILED (exit ${result.status})`} in ${minutes.toFixed(1)} min; ${result.counts}; ${load}`);
  say(results.at(-1));
  status = result.status;
  if (options.keep) say(`kept ${clone}`);
  else rmSync(dir, { recursive: true, force: true });
}

console.log(`\n[ci-under-load] ${options.ref} ${commit.slice(0, 12)}, ${workers} busy worker(s)${options.io ? ' + disk writer' : ''}:`);
for (const line of results) console.log(`  ${line}`);
process.exit(status);
