/**
 * Per-task measurements: runTask trains one task and returns its runs row, curves, neurons and
 * (optionally) data columns in the TaskResult contract that the sweep and io modules consume.
 */
export { runTask, type SaveOptions } from './run-task.js';
export { summariseActivity, type ActivitySummary } from './activity.js';
export { epochSchedule, type EpochSchedule } from './schedule.js';
export type { TaskResult, TaskStatus, RunMeasures, CurveColumns, NeuronColumns, DataColumns } from './task-result.js';
export { nullRunMeasures } from './task-result.js';
