/**
 * Curse of dimensionality (Fig. 2 of the paper): log-log test MSE (against the noise-free f0)
 * against n, one line per d through the seed medians with single seeds faint, the fitted rate
 * and its bootstrap interval in the legend. Methods (zip-group labels, or eta and weight decay)
 * and loss conventions get panels side by side: every config column but n, d, width and the
 * seeds separates panels.
 */
import type { TopLevelSpec } from 'vega-lite';
import { finite, groupRuns } from '../configurations.js';
import type { RunRow } from '../read-output.js';
import { fitRate, median, theoryRates, type RateFit } from '../slopes.js';
import { formatNumber, type FigurePlan } from './figure.js';

export interface SlopeRow {
  /** The panel (method) the series belongs to; its config values are in `config`. */
  panel: string;
  config: Record<string, unknown>;
  d: number;
  /** MSE ~ n^-rate: minus the least-squares slope of log median test MSE on log n. */
  rate: number;
  rate_low: number | null;
  rate_high: number | null;
  confidence: number;
  resamples: number;
  /** PAPER.md "Rates": upper bound 1/(2d+4), minimax lower bound 2/(d+1) (1/2 for d = 1). */
  theory_rate_upper_bound: number;
  theory_rate_minimax: number;
  n_values: number[];
  seeds_per_n: number[];
  median_test_mse: number[];
}

/** Columns that never separate panels of this figure. */
const ALONG_THE_AXES = new Set(['n', 'd', 'width']);

export function curseFigure(runs: readonly RunRow[], configColumns: string[], labelColumns: string[]): { figure: FigurePlan; slopes: SlopeRow[] } | null {
  const usable = runs.filter((r) => r.status === 'ok' && finite(r.test_mse) && finite(r.n) && finite(r.d));
  if (new Set(usable.map((r) => r.n)).size < 2) return null;

  const panelColumns = configColumns.filter((name) => !ALONG_THE_AXES.has(name));
  const slopes: SlopeRow[] = [];
  const charts: TopLevelSpec[] = [];
  const panels = groupRuns(usable, panelColumns, labelColumns);
  let droppedNonPositive = 0;
  for (const panel of panels) {
    const seedRows: { series: string; n: number; test_mse: number }[] = [];
    const medianRows: { series: string; n: number; test_mse: number }[] = [];
    const dValues = [...new Set(panel.runs.map((r) => r.d as number))].sort((p, q) => p - q);
    for (const d of dValues) {
      const byN = new Map<number, number[]>();
      for (const run of panel.runs.filter((r) => r.d === d)) {
        const mse = run.test_mse as number;
        if (!(mse > 0)) {
          droppedNonPositive++;
          continue;
        }
        let values = byN.get(run.n as number);
        if (!values) byN.set(run.n as number, (values = []));
        values.push(mse);
      }
      const points = [...byN.entries()].sort((p, q) => p[0] - q[0]).map(([n, values]) => ({ n, values }));
      let fit: RateFit | null = null;
      if (points.length >= 2) {
        fit = fitRate(points, { streamKey: [panel.key, d] });
        const theory = theoryRates(d);
        slopes.push({
          panel: panel.label,
          config: panel.values,
          d,
          rate: fit.rate,
          rate_low: fit.rateLow,
          rate_high: fit.rateHigh,
          confidence: fit.confidence,
          resamples: fit.resamples,
          theory_rate_upper_bound: theory.upper,
          theory_rate_minimax: theory.lower,
          n_values: fit.nValues,
          seeds_per_n: fit.seedsPerN,
          median_test_mse: points.map((p) => median(p.values)),
        });
      }
      const series = fit === null
        ? `d=${d}: one n only, no rate`
        : `d=${d}: rate ${formatNumber(fit.rate, 3)}` +
          (fit.rateLow !== null ? ` [${formatNumber(fit.rateLow, 3)}, ${formatNumber(fit.rateHigh, 3)}]` : ' (one seed per n: no interval)');
      for (const { n, values } of points) {
        for (const value of values) seedRows.push({ series, n, test_mse: value });
        medianRows.push({ series, n, test_mse: median(values) });
      }
    }
    if (medianRows.length === 0) continue;
    const nTicks = [...new Set(medianRows.map((r) => r.n))].sort((p, q) => p - q);
    const x = { field: 'n', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: nTicks }, title: 'n (training samples, log scale)' } as const;
    const y = { field: 'test_mse', type: 'quantitative', scale: { type: 'log' }, title: 'test MSE vs f0 (log scale)' } as const;
    const color = { field: 'series', type: 'nominal', title: 'd: rate [95% bootstrap CI]', legend: { orient: 'bottom', direction: 'vertical', titleLimit: 400 } } as const;
    charts.push({
      title: panel.label,
      width: 280,
      height: 220,
      layer: [
        { data: { values: seedRows }, mark: { type: 'point', filled: true, size: 18, opacity: 0.25 }, encoding: { x, y, color } },
        { data: { values: medianRows }, mark: { type: 'line', point: true }, encoding: { x, y, color } },
      ],
    } as TopLevelSpec);
  }
  if (charts.length === 0) return null;

  const caption = [
    `Test MSE against the noise-free target f0 versus n on log-log axes, one panel per method (${charts.length}), one colour per d.`,
    'Faint points are single seeds; lines join the seed medians. The legend gives the rate: minus the least-squares slope of log median MSE on log n,',
    'with a percentile bootstrap 95% interval (2000 resamples, seeds resampled within each n).',
    'Theory (PAPER.md): stable minima can be no faster than n^-(2/(d+1)) (n^-(1/2) at d = 1) and reach at least n^-(1/(2d+4)); see the slope table.',
    droppedNonPositive > 0 ? `${droppedNonPositive} run(s) with test MSE <= 0 are left out of the log axes.` : '',
  ].filter((s) => s.length > 0);

  return {
    figure: {
      name: 'curse-of-dimensionality',
      title: 'Curse of dimensionality: test MSE against n per d',
      caption: caption.join(' '),
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        hconcat: charts,
        resolve: { scale: { color: 'independent' } },
      } as TopLevelSpec,
    },
    slopes,
  };
}
