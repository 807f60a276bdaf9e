/**
 * `shatter report DIR`: reads the output directory, chooses the figures its contents allow,
 * renders each to SVG and PNG, and writes report.json, summary.md and index.html to DIR/report/.
 * An empty, partial or failed-only directory gives a report that says so, never a crash.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configColumns, zipLabelColumns } from './configurations.js';
import { curseFigure, type SlopeRow } from './figures/curse.js';
import { edgeOfStabilityFigure } from './figures/edge-of-stability.js';
import type { FigurePlan } from './figures/figure.js';
import { healthFigure } from './figures/health.js';
import { shatteringFigure } from './figures/shattering.js';
import { theoremFigure } from './figures/theorem.js';
import { indexHtml, summaryMarkdown, type ReportJson } from './page.js';
import { readOutput } from './read-output.js';
import { renderFigure } from './render.js';
import { statusCounts, summariseConfigurations } from './summary.js';

export interface ReportOutcome {
  /** DIR/report (absolute). */
  dir: string;
  /** Absolute path of DIR/report/index.html. */
  indexHtml: string;
  /** Absolute paths of each figure's files. */
  figures: { name: string; svg: string; png: string; caption: string }[];
  notes: string[];
}

/** Writes through a temporary name, so a reader never sees half a file. */
function writeAtomic(path: string, content: string | Buffer): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** The figures this output allows, in reading order, with the slope rows of the curse figure. */
export function planFigures(output: ReturnType<typeof readOutput>): { plans: FigurePlan[]; slopes: SlopeRow[]; notes: string[] } {
  const columns = configColumns(output);
  const zipLabels = zipLabelColumns(output);
  const plans: FigurePlan[] = [];
  const notes: string[] = [];
  let slopes: SlopeRow[] = [];
  const add = (name: string, build: () => FigurePlan | null, whyMissing: string) => {
    try {
      const plan = build();
      if (plan) plans.push(plan);
      else notes.push(`No ${name} figure: ${whyMissing}`);
    } catch (error) {
      notes.push(`The ${name} figure could not be built: ${(error as Error).message}`);
    }
  };
  add('neural-shattering', () => shatteringFigure(output.runs, output.neurons, columns, zipLabels), 'neurons.arrow holds no neuron of a finished run.');
  add('edge-of-stability', () => edgeOfStabilityFigure(output.runs, output.curves, columns, zipLabels), 'curves.arrow holds no curve of a finished run.');
  add(
    'curse-of-dimensionality',
    () => {
      const result = curseFigure(output.runs, columns, zipLabels);
      if (!result) return null;
      slopes = result.slopes;
      return result.figure;
    },
    'it needs ok runs with a test MSE at two or more sample sizes n.',
  );
  add('Theorem 3.2', () => theoremFigure(output.runs, columns, zipLabels), 'no run has both |f|_Vg and the Theorem 3.2 bound (GELU runs have neither).');
  add('training-health', () => healthFigure(output.runs, columns, zipLabels), 'no finished task.');
  return { plans, slopes, notes };
}

function specName(manifest: Record<string, unknown> | null): string | null {
  if (typeof manifest?.spec_name === 'string') return manifest.spec_name;
  const name = (manifest?.spec as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : null;
}

export async function generateReport(outputDir: string): Promise<ReportOutcome> {
  const dir = resolve(outputDir);
  const output = readOutput(dir);
  const reportDir = join(dir, 'report');
  mkdirSync(reportDir, { recursive: true });

  const notes = [...output.notes];
  const { plans, slopes, notes: planNotes } = output.runs.length > 0 ? planFigures(output) : { plans: [], slopes: [], notes: [] };
  notes.push(...planNotes);
  if (output.runs.length > 0 && output.runs.every((r) => r.status !== 'ok')) {
    notes.push('No task ended ok: only the training-health figure and the list of failures can be shown.');
  }

  const figures: ReportJson['figures'] = [];
  for (const plan of plans) {
    try {
      const rendered = await renderFigure(plan.spec);
      writeAtomic(join(reportDir, `${plan.name}.svg`), rendered.svg);
      writeAtomic(join(reportDir, `${plan.name}.png`), rendered.png);
      writeAtomic(join(reportDir, `${plan.name}.vl.json`), `${JSON.stringify(plan.spec)}\n`);
      figures.push({ name: plan.name, title: plan.title, caption: plan.caption, svg: `${plan.name}.svg`, png: `${plan.name}.png` });
    } catch (error) {
      notes.push(`The ${plan.name} figure could not be rendered: ${(error as Error).message}`);
    }
  }

  const { configurations, problems } = summariseConfigurations(output.runs, configColumns(output), zipLabelColumns(output));
  const manifest = output.manifest;
  const report: ReportJson = {
    dir,
    state: output.state,
    spec_name: specName(manifest),
    spec_hash: typeof manifest?.spec_hash === 'string' ? manifest.spec_hash : null,
    task_count: output.taskCount,
    tasks_found: output.runs.length,
    status_counts: statusCounts(output.runs),
    notes,
    figures,
    slopes,
    configurations,
    problems,
  };
  writeAtomic(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeAtomic(join(reportDir, 'summary.md'), summaryMarkdown(report));
  const indexPath = join(reportDir, 'index.html');
  writeAtomic(indexPath, indexHtml(report));

  return {
    dir: reportDir,
    indexHtml: indexPath,
    figures: figures.map((f) => ({ name: f.name, svg: join(reportDir, f.svg), png: join(reportDir, f.png), caption: f.caption })),
    notes,
  };
}
