#!/usr/bin/env node
// `npm run reproduce:small` / `npm run reproduce`: runs every -small spec (or every full spec) of
// experiments/ into results/<name>/, renders its report, and copies the report (report.json,
// summary.md, index.html and the figures; never the Arrow tables nor the plotted rows) into
// reproduction/<name>/.
// Resumable: a finished experiment is skipped, an interrupted one continues.
// Usage: node scripts/reproduce.mjs small|full [NAME ...] [--workers N]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const size = args.shift();
if (size !== 'small' && size !== 'full') {
  console.error('usage: node scripts/reproduce.mjs small|full [NAME ...] [--workers N]');
  process.exit(2);
}
const workersAt = args.indexOf('--workers');
const workers = workersAt >= 0 ? ['--workers', args.splice(workersAt, 2)[1]] : [];
const wanted = new Set(args);
const specs = readdirSync(join(root, 'experiments'))
  .filter((file) => file.endsWith('.json') && file !== 'quick.json')
  .map((file) => file.replace(/\.json$/, ''))
  .filter((name) => (size === 'small') === name.endsWith('-small'))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

const shatter = (...command) => spawnSync(process.execPath, [join(root, 'bin', 'shatter.js'), ...command], { stdio: 'inherit', cwd: root });
let failures = 0;
for (const name of specs) {
  const out = join(root, 'results', name);
  console.error(`\n== ${name} ==`);
  const started = Date.now();
  const run = shatter('run', join('experiments', `${name}.json`), '--out', out, '--resume', ...workers);
  if (run.status !== 0) {
    failures++;
    console.error(`${name}: shatter run exited ${run.status}`);
    if (run.status === 130 || run.status === 143) process.exit(run.status);
  }
  const report = shatter('report', out);
  if (report.status !== 0) {
    failures++;
    continue;
  }
  const target = join(root, 'reproduction', name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  // The repository keeps the report, not the data: no Vega-Lite specs (they embed the plotted
  // rows) and no SVG above 1 MB (the PNG of the same figure is kept).
  for (const file of readdirSync(join(out, 'report'))) {
    const path = join(out, 'report', file);
    if (file.endsWith('.vl.json') || (file.endsWith('.svg') && statSync(path).size > 1024 * 1024)) continue;
    cpSync(path, join(target, file));
  }
  if (existsSync(join(out, 'manifest.json'))) cpSync(join(out, 'manifest.json'), join(target, 'manifest.json'));
  console.error(`${name}: done in ${((Date.now() - started) / 60000).toFixed(1)} min; report in reproduction/${name}/`);
}
process.exit(failures > 0 ? 1 : 0);
