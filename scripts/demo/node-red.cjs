'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, so the TypeScript tests can require it too */
// Runs Node-RED the way a user does (red.js, a settings file, a user directory, a flow file) in a
// child process, with this package loaded from a directory given as the settings' nodesDir.
// Used by `npm start`, the end-to-end flow test and the editor tests.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { freePort } = require('../free-port.cjs');

/**
 * A directory Node-RED loads as this package: the repository's package.json, examples/ and
 * flows/, with `dist` pointing at the given build output (the tests run against the build they
 * are part of, which need not be the repository's dist/).
 */
function stagePackage(repoRoot, buildDir, stageDir) {
  fs.mkdirSync(stageDir, { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(stageDir, 'package.json'));
  for (const [name, target] of [['dist', buildDir], ['examples', path.join(repoRoot, 'examples')], ['flows', path.join(repoRoot, 'flows')]]) {
    const link = path.join(stageDir, name);
    fs.rmSync(link, { force: true, recursive: true });
    fs.symlinkSync(path.resolve(target), link, 'dir');
  }
  return stageDir;
}

/**
 * Writes <userDir>/settings.js. `flowSource`, when given, is copied to <userDir>/flows.json
 * (unless that exists and keepFlows is set). `settings` adds to or overrides the defaults below.
 */
function prepareUserDir({ userDir, packageDir, flowSource, keepFlows = false, settings: extra = {} }) {
  fs.mkdirSync(userDir, { recursive: true });
  const flowFile = path.join(userDir, 'flows.json');
  if (flowSource && !(keepFlows && fs.existsSync(flowFile))) fs.copyFileSync(flowSource, flowFile);
  else if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, '[]\n');
  const settings = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    nodesDir: [packageDir],
    contextStorage: {
      default: { module: 'localfilesystem' },
      memory: { module: 'memory' },
    },
    // Nothing in the demo or the tests may reach beyond this machine.
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: true, ui: true },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...extra,
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'),
    `// Written by scripts/demo/node-red.cjs; rewritten on every start.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return { flowFile };
}

/**
 * Starts Node-RED in a child process and resolves once it serves the editor.
 * `env` is added to this process's environment, `execArgv` goes to node (e.g. `-r` preloads).
 * `onLine` sees every line Node-RED logs.
 */
function startNodeRed({ userDir, port, env = {}, nodeRedPath = require.resolve('node-red/red.js'), execArgv = [], onLine, startTimeoutMs = 60000 }) {
  const child = spawn(process.execPath, [...execArgv, nodeRedPath, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'), '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start within ${startTimeoutMs} ms:\n${log.slice(-30).join('\n')}`)), startTimeoutMs);
    const watch = (stream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) {
          log.push(line);
          if (log.length > 2000) log.shift();
          if (onLine) onLine(line);
          if (line.includes('Server now running at')) { clearTimeout(timer); resolve(); }
        }
      });
    };
    watch(child.stdout);
    watch(child.stderr);
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited (${signal ?? code}) before it started:\n${log.slice(-30).join('\n')}`));
    });
  });
  async function stop(timeoutMs = 10000) {
    if (exited) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, timeoutMs);
    await exitPromise;
    clearTimeout(timer);
  }
  return ready.then(() => ({ url, child, log, stop, exited: exitPromise }), async (err) => { await stop(); throw err; });
}

module.exports = { freePort, stagePackage, prepareUserDir, startNodeRed };
