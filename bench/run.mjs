// Runs the benchmarks (all, or those named: `npm run bench -- s7 mongo`), prints their tables,
// saves raw figures to bench/results/<name>.json and rebuilds bench/REPORT.md; options in HELP.
// Benchmarks compare against peers in the same run; their ratios are what matters on a
// shared machine. Never part of `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { goalLines, textTable, writeReport } from './lib/report.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const NAMES = ['s7', 'threadpool', 'production', 'mongo', 'soak', 'fleet'];
/** Benchmarks that drive no peer: running only these installs none. */
const PEERLESS = new Set(['threadpool']);

const HELP = `usage: node bench/run.mjs [--report] [name ...]   (npm run bench -- [name ...] builds first)

  name        benchmarks to run: ${NAMES.join(', ')}; none named: all of them
  --report    run nothing: only rebuild bench/REPORT.md from the saved bench/results/<name>.json
  -h, --help  this text

Each benchmark's settings are environment variables (BENCH_*): bench/README.md lists them.`;

const INTRO = `# Benchmarks

Produced by \`npm run bench\` (all) or \`npm run bench -- <name>\` (${NAMES.join(', ')}); each section
is rewritten from \`bench/results/<name>.json\` when that benchmark runs. Peers are installed into
\`bench/peers/\` by \`bench/install-peers.mjs\` (run automatically) and driven as their users would.
Every comparison is made within one run, on the same servers, so read the **ratios**: absolute
figures depend on the machine (2 cores, shared with other work while these were taken).`;

function installPeers() {
  if (existsSync(path.join(benchDir, 'peers', 'node_modules', 'node-red-contrib-s7'))) return;
  execFileSync(process.execPath, [path.join(benchDir, 'install-peers.mjs')], { stdio: 'inherit' });
}

/** The benchmarks and the mode the command line asks for; a wrong command line ends the process with its error and the help. */
function argumentsOf(args) {
  try {
    const { values, positionals: wanted } = parseArgs({
      args,
      allowPositionals: true,
      options: { report: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(HELP);
      process.exit(0);
    }
    const unknown = wanted.filter((n) => !NAMES.includes(n));
    if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}`);
    return { selected: wanted.length ? wanted : NAMES, reportOnly: values.report === true };
  } catch (err) {
    console.error(`bench: ${err.message}\n\n${HELP}`);
    process.exit(2);
  }
}

async function main() {
  const { selected, reportOnly } = argumentsOf(process.argv.slice(2));
  // Before the imports: some benchmark modules resolve their peers when they load.
  if (!reportOnly && selected.some((name) => !PEERLESS.has(name))) installPeers();
  const modules = await Promise.all(NAMES.map(async (name) => ({ name, module: await import(`./${name}.mjs`) })));
  if (reportOnly) {
    // Only rebuild REPORT.md from the saved results.
    writeReport({ benchDir, benchmarks: modules, intro: INTRO });
    return;
  }
  mkdirSync(path.join(benchDir, 'results'), { recursive: true });
  let failed = 0;
  for (const { name, module } of modules.filter((m) => selected.includes(m.name))) {
    const saved = { name, title: module.title, startedAt: new Date().toISOString(), host: { node: process.version, platform: `${os.type()} ${os.release()}`, cpus: os.cpus().length, loadavg: os.loadavg().map((v) => v.toFixed(2)) } };
    console.log(`\n== ${module.title}`);
    try {
      saved.result = await module.run((line) => console.log(`  ${line}`));
    } catch (err) {
      failed++;
      saved.error = String(err?.stack ?? err);
      console.error(`  FAILED: ${saved.error}`);
    }
    saved.finishedAt = new Date().toISOString();
    writeFileSync(path.join(benchDir, 'results', `${name}.json`), JSON.stringify(saved, null, 2) + '\n');
    if (saved.result) {
      for (const t of module.tables(saved.result)) console.log('\n' + textTable(t));
      console.log('\n' + goalLines(module.goalsOf ? module.goalsOf(saved.result) : saved.result.goals).join('\n'));
    }
  }
  writeReport({ benchDir, benchmarks: modules, intro: INTRO });
  console.log(`\nbench/REPORT.md updated${failed ? `; ${failed} benchmark(s) failed` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
