/**
 * The numbers of the report (report.json): per-configuration medians over seeds, task status
 * counts and the tasks that did not end ok.
 */
import type { Cell } from './columns.js';
import { finite, groupRuns } from './configurations.js';
import type { RunRow } from './read-output.js';
import { median } from './slopes.js';

/** Measures summarised per configuration (median over its ok runs). */
export const SUMMARY_MEASURES = [
  'train_loss', 'test_mse', 'test_risk', 'gen_gap', 'lambda_max', 'eos_ratio', 'vg_norm', 'thm32_bound',
  'median_activation_rate', 'clipped_epochs', 'wall_ms',
] as const;

export interface ConfigurationSummary {
  label: string;
  config: Record<string, Cell>;
  tasks: number;
  status_counts: Record<string, number>;
  /** Median over the configuration's ok runs (null when none has the measure). */
  medians: Record<(typeof SUMMARY_MEASURES)[number], number | null>;
}

export interface ProblemTask {
  task_id: string;
  configuration: string;
  status: string;
  error: string | null;
}

export function statusCounts(runs: readonly RunRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const run of runs) {
    const status = typeof run.status === 'string' ? run.status : 'unknown';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

export function summariseConfigurations(runs: readonly RunRow[], configColumns: string[], labelColumns: string[]): {
  configurations: ConfigurationSummary[];
  problems: ProblemTask[];
} {
  const configurations: ConfigurationSummary[] = [];
  const problems: ProblemTask[] = [];
  for (const configuration of groupRuns(runs, configColumns, labelColumns)) {
    const ok = configuration.runs.filter((r) => r.status === 'ok');
    const medians = {} as ConfigurationSummary['medians'];
    for (const measure of SUMMARY_MEASURES) {
      const values = ok.map((r) => r[measure]).filter(finite);
      medians[measure] = values.length > 0 ? median(values) : null;
    }
    configurations.push({
      label: configuration.label,
      config: configuration.values,
      tasks: configuration.runs.length,
      status_counts: statusCounts(configuration.runs),
      medians,
    });
    for (const run of configuration.runs) {
      if (run.status !== 'ok') {
        problems.push({
          task_id: String(run.task_id),
          configuration: configuration.label,
          status: typeof run.status === 'string' ? run.status : 'unknown',
          error: typeof run.error === 'string' ? run.error : null,
        });
      }
    }
  }
  return { configurations, problems };
}
