export { FIELDS, FIELD_NAMES, REQUIRED_FIELDS, isFieldName, type FieldName, type ColumnType } from './fields.js';
export { validateSpec, canonicalJson, SpecError, type Spec, type SaveOptions, type ZipGroup, type FieldValue } from './validate.js';
export {
  expandSpec,
  taskId,
  specHash,
  estimateTaskBytes,
  estimateTaskCost,
  configColumns,
  configValues,
  TASK_MEMORY_LIMIT_BYTES,
  type Task,
} from './expand.js';
export { parseShard, assignShards, selectShard, type ShardSelector } from './shard.js';
export { loadSpecFile } from './load.js';
