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
const acorn = require('acorn');
const walk = require('acorn-walk');

// Node-RED's static readers of editor code (node-red-dev validate, the flow library's catalogue)
// understand only RED.nodes.registerType('<type>', { category: '...', color: '#...', ... }) with
// literals. The bundle names the constants shared through types.ts instead, so those are inlined:
// the type and the properties those readers read, where the name is a primitive constant
// declared once in the bundle.
const STATIC_PROPERTIES = new Set(['category', 'color', 'icon', 'inputs', 'outputs']);
function inlineRegistrationConstants(code) {
  const ast = acorn.parse(code, { ecmaVersion: 'latest' });
  const declared = new Map();
  walk.full(ast, (node) => {
    if (node.type !== 'VariableDeclarator' || node.id.type !== 'Identifier') return;
    const literal = node.init?.type === 'Literal' && ['string', 'number', 'boolean'].includes(typeof node.init.value);
    declared.set(node.id.name, declared.has(node.id.name) || !literal ? null : JSON.stringify(node.init.value));
  });
  const edits = [];
  const inline = (node, prefix = '') => {
    const literal = node?.type === 'Identifier' ? declared.get(node.name) : null;
    if (literal) edits.push({ start: node.start, end: node.end, text: prefix + literal });
  };
  walk.simple(ast, {
    CallExpression(call) {
      if (call.callee.type !== 'MemberExpression' || call.callee.property.name !== 'registerType') return;
      const [type, definition] = call.arguments;
      inline(type);
      for (const property of definition?.type === 'ObjectExpression' ? definition.properties : []) {
        const key = property.type === 'Property' && !property.computed ? (property.key.name ?? property.key.value) : null;
        if (STATIC_PROPERTIES.has(key)) inline(property.value, property.shorthand ? `${key}: ` : '');
      }
    },
  });
  edits.sort((a, b) => b.start - a.start);
  return edits.reduce((text, edit) => text.slice(0, edit.start) + edit.text + text.slice(edit.end), code);
}
const nodesDir = path.join(root, 'nodes');
for (const name of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
  const src = path.join(nodesDir, name);
  const out = path.join(dist, 'nodes', name);
  mkdirSync(out, { recursive: true });
  const templateFile = path.join(src, `${name}.html`);
  if (!existsSync(templateFile)) continue;
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
    editorJs = inlineRegistrationConstants(result.outputFiles[0].text);
  }
  const template = readFileSync(templateFile, 'utf8');
  const html = (editorJs ? `<script type="text/javascript">\n${editorJs}</script>\n` : '') + template;
  writeFileSync(path.join(out, `${name}.html`), html);
  for (const dir of ['locales', 'icons']) {
    if (existsSync(path.join(src, dir))) cpSync(path.join(src, dir), path.join(out, dir), { recursive: true });
  }
}
