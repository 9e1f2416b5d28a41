// Where the benchmarks find the built package, and small helpers shared by every benchmark.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The build under test: dist/ (npm run bench builds it) or BENCH_DIST (a private build). */
export const distDir = path.resolve(repoRoot, process.env.BENCH_DIST || 'dist');
export const requireFromRepo = createRequire(path.join(repoRoot, 'package.json'));
export const requirePeer = createRequire(path.join(repoRoot, 'bench', 'peers', 'package.json'));

/** Loads a CommonJS module of the build, e.g. dist('lib/s7'). */
export function dist(modulePath) {
  return requireFromRepo(path.join(distDir, modulePath));
}

/** An env var as a positive number, else the default. */
export function envNumber(name, fallback) {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return { n: sorted.length, mean, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) };
}

export const round = (v, digits = 2) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/**
 * Starts a child process that prints one JSON line with `"ready": true` on stdout; resolves
 * with that object and a stop() that ends the child (SIGTERM, then SIGKILL).
 */
export function startReadyChild(command, args, { timeoutMs = 30000, env, cwd, label = command } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: cwd || repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${label}: not ready within ${timeoutMs} ms\n${err.slice(-2000)}`)); }, timeoutMs);
    const exited = new Promise((r) => child.once('exit', r));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    };
    child.stderr.on('data', (d) => { err = (err + d).slice(-20000); });
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const msg = JSON.parse(line);
          if (msg.ready) { clearTimeout(timer); resolve({ ...msg, child, stop, stderr: () => err }); }
        } catch { /* not the ready line */ }
      }
    });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${label} exited (${code ?? signal}) before ready\n${err.slice(-2000)}`)); });
  });
}
