/**
 * Training health: how many tasks ended ok, diverged, failed or timed out per configuration;
 * how many steps were clipped; and how the Lanczos estimate of lambda_max converged
 * (iterations against the final residual ||H y - theta y||, capped runs marked).
 */
import type { TopLevelSpec } from 'vega-lite';
import { finite, groupRuns } from '../configurations.js';
import type { RunRow } from '../read-output.js';
import { seedLabel, type FigurePlan } from './figure.js';

export const STATUSES = ['ok', 'diverged', 'failed', 'timeout'] as const;

export function healthFigure(runs: readonly RunRow[], configColumns: string[], labelColumns: string[]): FigurePlan | null {
  if (runs.length === 0) return null;
  const configurations = groupRuns(runs, configColumns, labelColumns);
  const statusRows: { configuration: string; status: string; tasks: number }[] = [];
  const clippedRows: { configuration: string; seed: string; clipped_epochs: number }[] = [];
  const lanczosRows: { configuration: string; seed: string; lambda_max_iters: number; lambda_max_residual: number; converged: string }[] = [];
  for (const configuration of configurations) {
    const counts = new Map<string, number>();
    for (const run of configuration.runs) {
      const status = typeof run.status === 'string' ? run.status : 'unknown';
      counts.set(status, (counts.get(status) ?? 0) + 1);
      if (finite(run.clipped_epochs)) clippedRows.push({ configuration: configuration.label, seed: seedLabel(run), clipped_epochs: run.clipped_epochs });
      if (finite(run.lambda_max_iters) && finite(run.lambda_max_residual) && run.lambda_max_residual > 0) {
        lanczosRows.push({
          configuration: configuration.label,
          seed: seedLabel(run),
          lambda_max_iters: run.lambda_max_iters,
          lambda_max_residual: run.lambda_max_residual,
          converged: run.lambda_max_converged === false ? 'hit the iteration cap' : 'converged',
        });
      }
    }
    for (const [status, tasks] of counts) statusRows.push({ configuration: configuration.label, status, tasks });
  }

  const configurationAxis = { field: 'configuration', type: 'nominal', title: null, sort: configurations.map((c) => c.label), axis: { labelLimit: 260 } };
  const charts: TopLevelSpec[] = [
    {
      title: 'task status',
      data: { values: statusRows },
      width: 220,
      height: { step: 22 },
      mark: 'bar',
      encoding: {
        y: configurationAxis,
        x: { field: 'tasks', type: 'quantitative', aggregate: 'sum', title: 'tasks', axis: { tickMinStep: 1 } },
        color: {
          field: 'status',
          type: 'nominal',
          title: 'status',
          scale: { domain: [...STATUSES, 'unknown'], range: ['#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#7f7f7f'] },
        },
      },
    } as TopLevelSpec,
  ];
  if (clippedRows.length > 0) {
    charts.push({
      title: 'clipped steps per run',
      data: { values: clippedRows },
      width: 220,
      height: { step: 22 },
      mark: { type: 'tick', thickness: 2 },
      encoding: {
        y: configurationAxis,
        x: { field: 'clipped_epochs', type: 'quantitative', title: 'clipped epochs' },
      },
    } as TopLevelSpec);
  }
  if (lanczosRows.length > 0) {
    charts.push({
      title: 'Lanczos lambda_max',
      data: { values: lanczosRows },
      width: 220,
      height: 180,
      mark: { type: 'point', filled: true, size: 40 },
      encoding: {
        x: { field: 'lambda_max_iters', type: 'quantitative', title: 'Lanczos iterations' },
        y: { field: 'lambda_max_residual', type: 'quantitative', scale: { type: 'log' }, title: 'final residual ||Hy - theta y|| (log)' },
        shape: { field: 'converged', type: 'nominal', title: 'Lanczos' },
      },
    } as TopLevelSpec);
  }

  const total = (status: string) => statusRows.filter((r) => r.status === status).reduce((sum, r) => sum + r.tasks, 0);
  const capped = lanczosRows.filter((r) => r.converged !== 'converged').length;
  const caption = [
    `Task status per configuration: ${total('ok')} ok, ${total('diverged')} diverged, ${total('failed')} failed, ${total('timeout')} timed out (of ${runs.length}).`,
    clippedRows.length > 0 ? 'Clipped steps: how many gradient steps of each run were rescaled to the clip norm (one tick per run).' : '',
    lanczosRows.length > 0
      ? `Lanczos: iterations and final residual of the last lambda_max estimate of each run; ${capped} of ${lanczosRows.length} hit the iteration cap.`
      : 'No run reports Lanczos iterations and residuals.',
  ].filter((s) => s.length > 0);

  return {
    name: 'training-health',
    title: 'Training health: status, clipping, Lanczos convergence',
    caption: caption.join(' '),
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', hconcat: charts, resolve: { scale: { color: 'independent' } } } as TopLevelSpec,
  };
}
