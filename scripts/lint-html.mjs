// Lints the nodes' editor templates (nodes/*/*.html) and help texts (nodes/*/locales/**/*.html).
// Node-RED keeps both inside <script type="text/html" data-template-name|data-help-name="...">
// blocks, whose content an HTML linter sees as opaque text. So this checks the file's outer
// shape (nothing but such blocks) and then validates each block's content as an HTML fragment,
// with positions mapped back to the file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatterFactory, HtmlValidate, StaticConfigLoader } from 'html-validate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(readFileSync(path.join(root, '.htmlvalidate.json'), 'utf8'));
const validator = new HtmlValidate(new StaticConfigLoader(config));
const blockPattern = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
const commentPattern = /<!--[\s\S]*?-->/g;
// An empty element whose text Node-RED fills from the message catalogue (data-i18n="key", not
// "[attribute]key") has text at run time; the linter is shown a stand-in so it sees that too.
const i18nTextPattern = /(<([a-z][\w-]*)\b[^>]*\sdata-i18n="(?!\[)[^"]+"[^>]*>)(<\/\2>)/gi;

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
}

function htmlFiles() {
  const nodesDir = path.join(root, 'nodes');
  return (statSync(nodesDir, { throwIfNoEntry: false }) ? readdirSync(nodesDir) : [])
    .filter((name) => statSync(path.join(nodesDir, name)).isDirectory())
    .flatMap((name) => {
      const dir = path.join(nodesDir, name);
      const templates = readdirSync(dir).filter((f) => f.endsWith('.html')).map((f) => path.join(dir, f));
      const locales = path.join(dir, 'locales');
      const help = statSync(locales, { throwIfNoEntry: false })?.isDirectory() ? walk(locales).filter((f) => f.endsWith('.html')) : [];
      return [...templates, ...help];
    });
}

function position(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function shapeMessage(filePath, text, offset, message) {
  return { ruleId: 'node-red-template', severity: 2, message, offset, size: 1, selector: null, ...position(text, offset), filePath };
}

async function lintFile(file) {
  const text = readFileSync(file, 'utf8');
  const relative = path.relative(root, file);
  const isHelp = relative.split(path.sep).includes('locales');
  const nameAttribute = isHelp ? 'data-help-name' : 'data-template-name';
  const messages = [];
  let outside = text.replace(commentPattern, (c) => ' '.repeat(c.length));
  let blocks = 0;
  for (const match of text.matchAll(blockPattern)) {
    blocks++;
    const [whole, attributes, content] = match;
    outside = outside.slice(0, match.index) + ' '.repeat(whole.length) + outside.slice(match.index + whole.length);
    if (!/\btype\s*=\s*["']text\/html["']/.test(attributes)) {
      messages.push(shapeMessage(relative, text, match.index, 'script block must be type="text/html" (editor code belongs in editor.ts)'));
    }
    if (!new RegExp(`\\b${nameAttribute}\\s*=\\s*["'][^"']+["']`).test(attributes)) {
      messages.push(shapeMessage(relative, text, match.index, `script block needs a ${nameAttribute} attribute`));
    }
    const contentOffset = match.index + whole.indexOf('>') + 1;
    const start = position(text, contentOffset);
    const data = content.replace(i18nTextPattern, '$1i18n$3');
    const report = await validator.validateSource({ data, filename: relative, line: start.line, column: start.column, offset: contentOffset });
    for (const result of report.results) messages.push(...result.messages.map((m) => ({ ...m, filePath: relative })));
  }
  if (blocks === 0) messages.push(shapeMessage(relative, text, 0, `no <script type="text/html" ${nameAttribute}=...> block`));
  const stray = outside.search(/\S/);
  if (stray >= 0) messages.push(shapeMessage(relative, text, stray, 'only <script type="text/html"> blocks may stand at the top level'));
  return { filePath: relative, messages, errorCount: messages.filter((m) => m.severity === 2).length, warningCount: messages.filter((m) => m.severity === 1).length, source: text };
}

// Files may be named on the command line; by default all templates and help texts are linted.
const { positionals } = parseArgs({ allowPositionals: true });
const files = positionals.length ? positionals.map((f) => path.resolve(f)) : htmlFiles();
const results = await Promise.all(files.map(lintFile));
const failing = results.filter((r) => r.messages.length > 0);
if (failing.length) {
  console.log(formatterFactory('stylish')(failing));
  process.exit(1);
}
console.log(`lint:html: ${files.length} files clean`);
