// Builds the package into dist/: tsc for runtime, library, simulator and tests (CommonJS),
// esbuild for each node's editor script, which is inlined into the node's .html beside its
// .js, with locales/ and icons/ copied as Node-RED's loader expects.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// OUT_DIR lets several developers build side by side without clobbering one another's dist/.
const dist = path.resolve(root, process.env.OUT_DIR || 'dist');
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], {
    stdio: 'inherit',
  });
} catch (err) {
  // tsc has emitted anyway; a lenient build lets work in progress elsewhere not block a developer.
  if (!process.env.BUILD_LENIENT) throw err;
  console.warn('build: TypeScript errors ignored (BUILD_LENIENT)');
}

const esbuild = require('esbuild');
// Each node's editor.ts calls RED.nodes.registerType('<type>', { category: '...', color: '#...', ... })
// with literals, the only form Node-RED's static readers of editor code (node-red-dev validate, the
// flow library's catalogue) understand; esbuild keeps them as written.
const nodesDir = path.join(root, 'nodes');
for (const name of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
  const src = path.join(nodesDir, name);
  const templateFile = path.join(src, `${name}.html`);
  if (!existsSync(templateFile)) continue; // not a node: e.g. nodes/shared/, code the editors share
  const out = path.join(dist, 'nodes', name);
  mkdirSync(out, { recursive: true });
  let editorJs = '';
  const editorEntry = path.join(src, 'editor.ts');
  if (existsSync(editorEntry)) {
    const result = esbuild.buildSync({
      entryPoints: [editorEntry],
      bundle: true,
      format: 'iife',
      target: 'es2019',
      write: false,
      logLevel: 'error',
    });
    editorJs = result.outputFiles[0].text;
  }
  const template = readFileSync(templateFile, 'utf8');
  const html = (editorJs ? `<script type="text/javascript">\n${editorJs}</script>\n` : '') + template;
  writeFileSync(path.join(out, `${name}.html`), html);
  for (const dir of ['locales', 'icons']) {
    if (existsSync(path.join(src, dir))) cpSync(path.join(src, dir), path.join(out, dir), { recursive: true });
  }
}
