/**
 * `npm run bench`: runs every benchmark section in bench/sections/ but the opt-in ones (or the
 * sections named on the command line) and writes their figures to bench/results.json, one key per section. A section
 * is a module exporting `name` and `run(): Promise<object>`; sections not run keep their last
 * figures in the file, so one section can be re-measured alone.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

interface BenchSection {
  name: string;
  /** A long section that runs only when named on the command line. */
  optIn?: boolean;
  run(): Promise<object>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** bench/results.json in the source tree, whether this runs from bench/ or dist/bench/. */
const repoRoot = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const resultsPath = join(repoRoot, 'bench', 'results.json');

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const sectionDir = join(here, 'sections');
  const files = readdirSync(sectionDir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.map'))
    .sort();
  const results: Record<string, unknown> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
  for (const file of files) {
    const section = (await import(pathToFileURL(join(sectionDir, file)).href)) as BenchSection;
    if (wanted.length > 0 ? !wanted.includes(section.name) : section.optIn === true) continue;
    process.stderr.write(`bench: ${section.name} ...\n`);
    const started = Date.now();
    const figures = await section.run();
    results[section.name] = { ...figures, measured_at: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
    results.machine = { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length };
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  }
  process.stderr.write(`bench: figures in ${resultsPath}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
