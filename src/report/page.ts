/**
 * The report as words: summary.md (tables in GitHub markdown) and index.html (a self-contained
 * page: the figures as images with captions, the same tables; no script, no network).
 */
import type { SlopeRow } from './figures/curse.js';
import { formatNumber } from './figures/figure.js';
import type { OutputState } from './read-output.js';
import type { ConfigurationSummary, ProblemTask } from './summary.js';

export interface ReportJson {
  dir: string;
  state: OutputState;
  spec_name: string | null;
  spec_hash: string | null;
  task_count: number | null;
  tasks_found: number;
  status_counts: Record<string, number>;
  notes: string[];
  figures: { name: string; title: string; caption: string; svg: string; png: string }[];
  slopes: SlopeRow[];
  configurations: ConfigurationSummary[];
  problems: ProblemTask[];
}

/** Tables as header + rows of plain text cells (escaped by each writer). */
interface TextTable {
  header: string[];
  rows: string[][];
}

const MAX_PROBLEMS_LISTED = 50;

function interval(low: number | null, high: number | null): string {
  return low === null || high === null ? '–' : `[${formatNumber(low, 3)}, ${formatNumber(high, 3)}]`;
}

function slopeTable(slopes: readonly SlopeRow[]): TextTable {
  return {
    header: ['method', 'd', 'rate', '95% bootstrap CI', 'theory upper 1/(2d+4)', 'theory minimax 2/(d+1)', 'n', 'seeds per n'],
    rows: slopes.map((s) => [
      s.panel,
      String(s.d),
      formatNumber(s.rate, 3),
      interval(s.rate_low, s.rate_high),
      formatNumber(s.theory_rate_upper_bound, 3),
      formatNumber(s.theory_rate_minimax, 3),
      s.n_values.join(', '),
      s.seeds_per_n.join(', '),
    ]),
  };
}

function configurationTable(configurations: readonly ConfigurationSummary[]): TextTable {
  return {
    header: ['configuration', 'tasks', 'status', 'test MSE', 'train loss', 'lambda_max', 'eos_ratio', 'median activation rate', '|f|_Vg', 'Thm 3.2 bound'],
    rows: configurations.map((c) => [
      c.label,
      String(c.tasks),
      Object.entries(c.status_counts).map(([status, count]) => `${count} ${status}`).join(', '),
      formatNumber(c.medians.test_mse),
      formatNumber(c.medians.train_loss),
      formatNumber(c.medians.lambda_max),
      formatNumber(c.medians.eos_ratio),
      formatNumber(c.medians.median_activation_rate),
      formatNumber(c.medians.vg_norm),
      formatNumber(c.medians.thm32_bound),
    ]),
  };
}

function problemTable(problems: readonly ProblemTask[]): TextTable {
  return {
    header: ['task', 'configuration', 'status', 'error'],
    rows: problems.slice(0, MAX_PROBLEMS_LISTED).map((p) => [p.task_id, p.configuration, p.status, p.error ?? '']),
  };
}

function stateLine(report: ReportJson): string {
  const found = `${report.tasks_found} task(s) found` + (report.task_count !== null ? ` of ${report.task_count}` : '');
  const counts = Object.entries(report.status_counts).map(([status, count]) => `${count} ${status}`).join(', ');
  const state = { complete: 'complete', partial: 'partial (sweep unfinished)', empty: 'empty (nothing finished yet)' }[report.state];
  return `State: ${state}; ${found}${counts ? ` (${counts})` : ''}.`;
}

// ---------- markdown ----------

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function markdownTable(table: TextTable): string {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map(line)].join('\n');
}

export function summaryMarkdown(report: ReportJson): string {
  const parts: string[] = [`# Report: ${report.spec_name ?? report.dir}`, '', stateLine(report), ''];
  if (report.notes.length > 0) parts.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  if (report.slopes.length > 0) {
    parts.push(
      '## Rates of test MSE in n',
      '',
      'rate = -(least-squares slope of log median test MSE on log n), MSE ~ n^-rate; interval: percentile bootstrap, 2000 resamples, seeds resampled within each n.',
      '',
      markdownTable(slopeTable(report.slopes)),
      '',
    );
  }
  if (report.configurations.length > 0) {
    parts.push('## Configurations (medians over ok seeds)', '', markdownTable(configurationTable(report.configurations)), '');
  }
  if (report.problems.length > 0) {
    parts.push('## Tasks that did not end ok', '', markdownTable(problemTable(report.problems)), '');
    if (report.problems.length > MAX_PROBLEMS_LISTED) parts.push(`(first ${MAX_PROBLEMS_LISTED} of ${report.problems.length}; all are in report.json)`, '');
  }
  parts.push('## Figures', '');
  if (report.figures.length === 0) parts.push('No figure: nothing in the directory to plot yet.', '');
  for (const figure of report.figures) {
    parts.push(`### ${figure.title}`, '', `![${figure.title}](${figure.png})`, '', figure.caption, '', `SVG: [${figure.svg}](${figure.svg})`, '');
  }
  return parts.join('\n');
}

// ---------- HTML ----------

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlTable(table: TextTable, className: string): string {
  const head = `<tr>${table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
figure { margin: 2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { margin-top: .5rem; max-width: 70rem; line-height: 1.4; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
.note { background: #fff6d5; border-left: 4px solid #e0b400; padding: .5rem 1rem; }
`;

export function indexHtml(report: ReportJson): string {
  const title = `Report: ${report.spec_name ?? report.dir}`;
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    // An inline icon, so that opening the page from disk asks for no favicon file.
    '<link rel="icon" href="data:,">',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(stateLine(report))}</p>`,
  ];
  if (report.notes.length > 0) {
    parts.push(`<div class="note"><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></div>`);
  }
  if (report.figures.length === 0) parts.push('<p class="note">No figure: nothing in the directory to plot yet.</p>');
  for (const figure of report.figures) {
    parts.push(
      `<figure id="${escapeHtml(figure.name)}">`,
      `<h2>${escapeHtml(figure.title)}</h2>`,
      `<img src="${escapeHtml(figure.png)}" alt="${escapeHtml(figure.title)}">`,
      `<figcaption>${escapeHtml(figure.caption)} <a href="${escapeHtml(figure.svg)}">SVG</a> · <a href="${escapeHtml(figure.png)}">PNG</a></figcaption>`,
      '</figure>',
    );
  }
  if (report.slopes.length > 0) {
    parts.push(
      '<h2>Rates of test MSE in n</h2>',
      '<p>rate = −(least-squares slope of log median test MSE on log n), so MSE ~ n<sup>−rate</sup>; interval: percentile bootstrap, 2000 resamples, seeds resampled within each n.</p>',
      htmlTable(slopeTable(report.slopes), 'slopes'),
    );
  }
  if (report.configurations.length > 0) {
    parts.push('<h2>Configurations (medians over ok seeds)</h2>', htmlTable(configurationTable(report.configurations), 'configurations'));
  }
  if (report.problems.length > 0) {
    parts.push('<h2>Tasks that did not end ok</h2>', htmlTable(problemTable(report.problems), 'problems'));
    if (report.problems.length > MAX_PROBLEMS_LISTED) parts.push(`<p>(first ${MAX_PROBLEMS_LISTED} of ${report.problems.length}; all are in report.json)</p>`);
  }
  parts.push('<p><a href="report.json">report.json</a> · <a href="summary.md">summary.md</a></p>', '</body>', '</html>', '');
  return parts.join('\n');
}
