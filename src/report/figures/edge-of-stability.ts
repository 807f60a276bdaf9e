/**
 * Edge of stability (Fig. 1 of the paper): training loss and lambda_max of the optimised loss
 * against epoch, one column per configuration, with the stability threshold 2/eta; below, the
 * final eos_ratio = eta lambda_max / 2 of every run (1 at the edge of stability).
 */
import type { TopLevelSpec } from 'vega-lite';
import { finite, groupRuns } from '../configurations.js';
import type { CurveData, RunRow } from '../read-output.js';
import { median } from '../slopes.js';
import { formatNumber, limitPanels, seedLabel, strideIndices, type FigurePlan } from './figure.js';

/** Curve rows drawn per task at most (the last epoch always kept). */
export const CURVE_POINTS_PER_TASK = 400;

export function edgeOfStabilityFigure(runs: readonly RunRow[], curves: CurveData, configColumns: string[], labelColumns: string[]): FigurePlan | null {
  const rowsOfTask = new Map<string, number[]>();
  curves.taskId.forEach((id, i) => {
    let rows = rowsOfTask.get(id);
    if (!rows) rowsOfTask.set(id, (rows = []));
    rows.push(i);
  });
  const runsWithCurves = runs.filter((r) => rowsOfTask.has(String(r.task_id)));
  if (runsWithCurves.length === 0) return null;

  const lossRows: { panel: string; seed: string; epoch: number; train_loss: number }[] = [];
  const lambdaRows: { panel: string; seed: string; epoch: number; lambda_max: number; two_over_eta: number }[] = [];
  const ratioRows: { panel: string; seed: string; eos_ratio: number }[] = [];
  let thinned = 0;
  const { shown: configurations, omittedNote } = limitPanels(groupRuns(runsWithCurves, configColumns, labelColumns));
  for (const configuration of configurations) {
    for (const run of configuration.runs) {
      const seed = seedLabel(run);
      const eta = run.eta;
      const twoOverEta = finite(eta) && eta > 0 ? 2 / eta : NaN;
      const rows = [...rowsOfTask.get(String(run.task_id))!].sort((i, j) => curves.epoch[i] - curves.epoch[j]);
      const { indices, stride } = strideIndices(rows.length, CURVE_POINTS_PER_TASK);
      if (stride > 1) {
        thinned++;
        if (indices[indices.length - 1] !== rows.length - 1) indices.push(rows.length - 1);
      }
      // lambda_max is measured rarely (every lambda_max_every epochs): keep all its rows.
      const lambdaRowsOfTask = rows.filter((row) => Number.isFinite(curves.lambdaMax[row]));
      for (const i of indices) {
        const row = rows[i];
        const loss = curves.trainLoss[row];
        if (loss > 0 && Number.isFinite(loss)) lossRows.push({ panel: configuration.label, seed, epoch: curves.epoch[row], train_loss: loss });
      }
      for (const row of lambdaRowsOfTask) {
        lambdaRows.push({ panel: configuration.label, seed, epoch: curves.epoch[row], lambda_max: curves.lambdaMax[row], two_over_eta: twoOverEta });
      }
      if (finite(run.eos_ratio)) ratioRows.push({ panel: configuration.label, seed, eos_ratio: run.eos_ratio });
    }
  }
  if (lossRows.length === 0 && lambdaRows.length === 0) return null;
  const lambdaScale = lambdaRows.every((r) => r.lambda_max > 0) ? 'log' : 'linear';

  const panelOrder = configurations.map((c) => c.label);
  const panelCount = panelOrder.length;
  const facet = { field: 'panel', type: 'nominal', title: null, sort: panelOrder, header: { labelLimit: 240 } };
  const columns = Math.min(panelCount, 4);
  const charts: TopLevelSpec[] = [];
  charts.push({
    data: { values: lossRows },
    facet,
    columns,
    spec: {
      width: 240,
      height: 160,
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'train_loss', type: 'quantitative', scale: { type: 'log' }, title: 'training loss (log scale)' },
        color: { field: 'seed', type: 'nominal', title: 'seed' },
      },
    },
  } as TopLevelSpec);
  if (lambdaRows.length > 0) {
    charts.push({
      data: { values: lambdaRows },
      facet,
      columns,
      // 2/eta differs by orders of magnitude between step sizes: each panel gets its own axis.
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 240,
        height: 160,
        layer: [
          {
            mark: { type: 'line', point: true, strokeWidth: 1.2 },
            encoding: {
              x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
              // Log scale: lambda_max at initialisation can be 100 times its edge-of-stability value.
              y: { field: 'lambda_max', type: 'quantitative', scale: { type: lambdaScale }, title: lambdaScale === 'log' ? 'lambda_max (log scale)' : 'lambda_max' },
              color: { field: 'seed', type: 'nominal', title: 'seed' },
            },
          },
          {
            mark: { type: 'rule', color: '#d62728', strokeDash: [5, 4] },
            encoding: { y: { field: 'two_over_eta', type: 'quantitative', aggregate: 'max' } },
          },
        ],
      },
    } as TopLevelSpec);
  }
  if (ratioRows.length > 0) {
    charts.push({
      data: { values: ratioRows },
      width: 360,
      height: { step: 20 },
      layer: [
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            y: { field: 'panel', type: 'nominal', title: null, sort: panelOrder, axis: { labelLimit: 300 } },
            x: { field: 'eos_ratio', type: 'quantitative', title: 'final eos_ratio = eta lambda_max / 2' },
            color: { field: 'seed', type: 'nominal', title: 'seed' },
          },
        },
        { mark: { type: 'rule', color: '#d62728', strokeDash: [5, 4] }, encoding: { x: { datum: 1 } } },
      ],
    } as TopLevelSpec);
  }

  const caption = [
    `Top: training loss of the optimised loss (without the weight-decay term) against epoch, one panel per configuration (${panelCount}), one line per seed.`,
    lambdaRows.length > 0
      ? `Middle: lambda_max of its Hessian where measured (${lambdaRows.length} measurements); the dashed line is 2/eta, the linear-stability threshold.`
      : 'lambda_max was not measured during training (lambda_max_every = 0 and no curve row holds it).',
    ratioRows.length > 0
      ? `Bottom: final eos_ratio = eta lambda_max / 2 per run (dashed: 1, the edge of stability); median ${formatNumber(median(ratioRows.map((r) => r.eos_ratio)))}.`
      : '',
    omittedNote,
    thinned > 0 ? `Training-loss curves of ${thinned} task(s) are thinned to at most ${CURVE_POINTS_PER_TASK} epochs for plotting (a fixed stride, last epoch kept).` : '',
  ].filter((s) => s.length > 0);

  return {
    name: 'edge-of-stability',
    title: 'Edge of stability: training loss, lambda_max and 2/eta',
    caption: caption.join(' '),
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', vconcat: charts } as TopLevelSpec,
  };
}
