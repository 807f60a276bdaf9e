/**
 * Neural shattering (Fig. 1/3 of the paper): each neuron's activation rate on the training data
 * against its size a = |v| ||w|| on a log scale, one panel per configuration, with the 10% line
 * below which the paper calls a neuron shattered.
 */
import { compareLabels, groupRuns } from '../configurations.js';
import type { NeuronData, RunRow } from '../read-output.js';
import { formatNumber, limitPanels, seedLabel, strideIndices, type FigurePlan } from './figure.js';

/** Points drawn per panel at most; more neurons are subsampled with a fixed stride. */
export const NEURON_POINTS_PER_PANEL = 2000;

export const SHATTERING_RATE_LINE = 0.1;

export function shatteringFigure(runs: readonly RunRow[], neurons: NeuronData, configColumns: string[], labelColumns: string[]): FigurePlan | null {
  if (neurons.taskId.length === 0) return null;
  const rowsOfTask = new Map<string, number[]>();
  neurons.taskId.forEach((id, i) => {
    let rows = rowsOfTask.get(id);
    if (!rows) rowsOfTask.set(id, (rows = []));
    rows.push(i);
  });
  const runsWithNeurons = runs.filter((r) => rowsOfTask.has(String(r.task_id)));
  if (runsWithNeurons.length === 0) return null;

  const points: { panel: string; seed: string; a: number; activation_rate: number }[] = [];
  const panelNotes: string[] = [];
  let notPositive = 0;
  let subsampled = false;
  const { shown, omittedNote } = limitPanels(groupRuns(runsWithNeurons, configColumns, labelColumns));
  for (const configuration of shown) {
    // Rows in (task id, neuron) order, so the subsample is the same whatever the file order.
    const ordered = [...configuration.runs].sort((p, q) => compareLabels(String(p.task_id), String(q.task_id)));
    const candidates: { run: RunRow; row: number }[] = [];
    for (const run of ordered) {
      const rows = [...rowsOfTask.get(String(run.task_id))!].sort((i, j) => neurons.neuron[i] - neurons.neuron[j]);
      for (const row of rows) {
        const a = neurons.a[row];
        const rate = neurons.activationRate[row];
        if (!Number.isFinite(rate)) continue;
        if (!(a > 0 && Number.isFinite(a))) {
          notPositive++;
          continue;
        }
        candidates.push({ run, row });
      }
    }
    const { indices, stride } = strideIndices(candidates.length, NEURON_POINTS_PER_PANEL);
    if (stride > 1) {
      subsampled = true;
      panelNotes.push(`${configuration.label}: 1 in ${stride} of ${candidates.length} neurons`);
    }
    for (const i of indices) {
      const { run, row } = candidates[i];
      points.push({ panel: configuration.label, seed: seedLabel(run), a: neurons.a[row], activation_rate: neurons.activationRate[row] });
    }
  }
  if (points.length === 0) return null;

  const panelOrder = [...new Set(points.map((p) => p.panel))];
  const panels = panelOrder.length;
  const shattered = points.filter((p) => p.activation_rate <= SHATTERING_RATE_LINE).length;
  const captionParts = [
    `Each point is one hidden neuron: its activation rate (share of training points where w.x + b > 0) against a = |v| ||w|| on a log scale; ` +
      `${panels} panel(s), one per configuration, all seeds together (colour). The dashed line is the 10% activation rate.`,
    `${shattered} of the ${points.length} plotted neurons (${formatNumber((100 * shattered) / points.length, 3)}%) fire on at most 10% of the data.`,
  ];
  if (subsampled) captionParts.push(`Subsampled deterministically for plotting (${panelNotes.join('; ')}).`);
  if (omittedNote) captionParts.push(omittedNote);
  if (notPositive > 0) captionParts.push(`${notPositive} neuron(s) with a = 0 cannot sit on the log axis and are left out.`);

  return {
    name: 'shattering',
    title: 'Neural shattering: activation rate against neuron size',
    caption: captionParts.join(' '),
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: points },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panelOrder, header: { labelLimit: 260 } },
      columns: Math.min(panels, 3),
      spec: {
        width: 260,
        height: 200,
        layer: [
          {
            mark: { type: 'point', filled: true, size: 12, opacity: 0.5 },
            encoding: {
              x: { field: 'a', type: 'quantitative', scale: { type: 'log' }, title: 'a = |v| ||w|| (log scale)' },
              y: { field: 'activation_rate', type: 'quantitative', scale: { domain: [0, 1] }, title: 'activation rate' },
              color: { field: 'seed', type: 'nominal', title: 'seed' },
            },
          },
          {
            mark: { type: 'rule', color: '#d62728', strokeDash: [5, 4] },
            encoding: { y: { datum: SHATTERING_RATE_LINE } },
          },
        ],
      },
    },
  };
}
