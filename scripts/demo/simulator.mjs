// The demo's PLC: the simulator's CLI (<build>/sim/cli.js --demo) in a child process on a free
// loopback port. Resolves to what the simulator announces ({ port, machines }) and stop().
import { spawn } from 'node:child_process';
import path from 'node:path';

export function startSimulator(buildDir, { args = ['--demo'], onLog = (line) => console.log(`[plc-sim] ${line}`) } = {}) {
  const child = spawn(process.execPath, [path.join(buildDir, 'sim', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.once('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitedPromise;
    clearTimeout(timer);
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => chunk.split('\n').filter(Boolean).forEach(onLog));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      try {
        const info = JSON.parse(line);
        if (info.ready) resolve({ ...info, stop, exited: exitedPromise });
      } catch (err) {
        reject(new Error(`the PLC simulator printed something unexpected: ${line} (${err.message})`));
      }
    });
    exitedPromise.then(({ code, signal }) => reject(new Error(`the PLC simulator exited (${signal ?? code}) before it was ready`)));
  });
}
