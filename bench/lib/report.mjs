// Tables on the terminal and bench/REPORT.md, rebuilt from every bench/results/<name>.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function cell(v) {
  return String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable({ columns, rows }) {
  return [`| ${columns.map(cell).join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function textTable({ title, columns, rows }) {
  const all = [columns, ...rows].map((r) => r.map((v) => String(v ?? '')));
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((v, i) => (v ?? '').padEnd(widths[i])).join('  ');
  return [title, line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function goalLines(goals) {
  return goals.map((g) => `- ${g.met === null ? 'NOT MEASURED' : g.met ? 'MET' : 'NOT MET'}: ${g.goal}. ${g.detail}`);
}

/** Rebuilds REPORT.md from the saved results of every benchmark, in the order given. */
export function writeReport({ benchDir, benchmarks, intro }) {
  const loaded = benchmarks.map(({ name, module }) => {
    const file = path.join(benchDir, 'results', `${name}.json`);
    return { name, module, saved: existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined };
  });
  const goalsOf = (module, result) => (module.goalsOf ? module.goalsOf(result) : result.goals);
  const summary = loaded.flatMap(({ module, saved }) => [`**${module.title}**`, ...(saved?.result ? goalLines(goalsOf(module, saved.result)) : [`- not run${saved?.error ? ' (the run failed)' : ''}`]), '']);
  const parts = [intro, '## Where we stand', summary.join('\n').trim()];
  for (const { name, module, saved } of loaded) {
    parts.push(`## ${module.title}`);
    if (!saved) {
      parts.push(`Not run yet: \`npm run bench -- ${name}\`.`);
      continue;
    }
    parts.push(`Run ${saved.startedAt} → ${saved.finishedAt} (${saved.host.node}, ${saved.host.cpus} cores, load average at start ${saved.host.loadavg.join(' / ')}). Raw figures: \`bench/results/${name}.json\`.`);
    if (saved.error) {
      parts.push(`**The run failed:** ${saved.error}`);
      continue;
    }
    parts.push('### Goals', goalLines(goalsOf(module, saved.result)).join('\n'));
    for (const t of module.tables(saved.result)) parts.push(`### ${t.title}`, markdownTable(t));
    if (saved.result.conditions) parts.push('### Conditions', Object.entries(saved.result.conditions).map(([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'));
    const notes = [...(saved.result.notes ?? []), ...(module.notes ? module.notes(saved.result) : [])];
    if (notes.length) parts.push('### Notes', notes.map((n) => `- ${n}`).join('\n'));
  }
  writeFileSync(path.join(benchDir, 'REPORT.md'), parts.join('\n\n') + '\n');
}
