export { slurmCommand, resubmitCommand, checkCommand, installedShatterPath, type SlurmCommandOptions, type Output } from './command.js';
export { elementCount, shardsOfElement, elementOfShard, arraySpec } from './elements.js';
export { parseSlurmFlags, checkDirForSbatch, DEFAULT_MAX_ARRAY, type SlurmFlags, type RawSlurmFlags } from './options.js';
export { arrayScript, mergeScript, shellQuote, arrayScriptPath, mergeScriptPath, logsDir, type ScriptPlan } from './scripts.js';
export { readPlanFile, planFilePath, type SlurmPlanFile, type Submission } from './plan-file.js';
export { shardState, shardFinished, describeShard, type ShardState } from './shard-state.js';
export { SlurmClientError } from './client.js';
