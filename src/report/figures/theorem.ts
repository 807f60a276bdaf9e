/**
 * Theorem 3.2 of the paper: |f|_Vg <= lambda_max/2 - 1/2 + (R + 1) sqrt(2 L) at every twice
 * differentiable theta. Every run with both numbers is a point (bound, |f|_Vg); points on or
 * below the diagonal satisfy it.
 */
import { finite, groupRuns } from '../configurations.js';
import type { RunRow } from '../read-output.js';
import { seedLabel, type FigurePlan } from './figure.js';

export function theoremFigure(runs: readonly RunRow[], configColumns: string[], labelColumns: string[]): FigurePlan | null {
  const usable = runs.filter((r) => finite(r.vg_norm) && finite(r.thm32_bound));
  if (usable.length === 0) return null;
  const configurations = groupRuns(usable, configColumns, labelColumns);
  const points = configurations.flatMap((configuration) =>
    configuration.runs.map((run) => ({
      configuration: configuration.label,
      seed: seedLabel(run),
      thm32_bound: run.thm32_bound as number,
      vg_norm: run.vg_norm as number,
    })),
  );
  const values = points.flatMap((p) => [p.thm32_bound, p.vg_norm]);
  const low = Math.min(...values);
  const high = Math.max(...values);
  // Log axes only when every value is positive and they span more than two decades.
  const logScale = low > 0 && high / low > 100;
  const diagonalFrom = logScale ? low : Math.min(0, low);
  const diagonal = [
    { x: diagonalFrom, y: diagonalFrom },
    { x: high, y: high },
  ];
  const holding = points.filter((p) => p.vg_norm <= p.thm32_bound * (1 + 1e-12)).length;
  const skipped = runs.length - usable.length;
  const scale = logScale ? { type: 'log' as const } : { zero: false };

  const caption = [
    'Weighted variation norm |f|_Vg of the final network against the right-hand side of Theorem 3.2, lambda_max/2 - 1/2 + (R+1) sqrt(2L), in the half-MSE convention (mse runs are converted, PAPER.md).',
    `The dashed line is the diagonal: ${holding} of ${points.length} runs lie on or below it, as the theorem says they must.`,
    skipped > 0 ? `${skipped} run(s) without both numbers (GELU runs, failed or diverged tasks) are not shown.` : '',
    logScale ? 'Both axes are on a log scale.' : '',
  ].filter((s) => s.length > 0);

  return {
    name: 'theorem-3-2',
    title: 'Theorem 3.2: |f|_Vg against its bound',
    caption: caption.join(' '),
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 360,
      height: 320,
      layer: [
        {
          data: { values: diagonal },
          mark: { type: 'line', color: '#888888', strokeDash: [5, 4] },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale },
            y: { field: 'y', type: 'quantitative', scale },
          },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x: { field: 'thm32_bound', type: 'quantitative', scale, title: 'Theorem 3.2 bound: lambda_max/2 - 1/2 + (R+1) sqrt(2L)' },
            y: { field: 'vg_norm', type: 'quantitative', scale, title: '|f|_Vg' },
            color: { field: 'configuration', type: 'nominal', title: 'configuration', sort: configurations.map((c) => c.label), legend: { orient: 'bottom', direction: 'vertical' } },
          },
        },
      ],
    },
  };
}
