import { estimateTaskCost, type Task } from './expand.js';

/** `--shard I/N`, 1-based. */
export interface ShardSelector {
  index: number;
  count: number;
}

/**
 * Parses "I/N" (1 <= I <= N, both integers). Returns an error message naming what is wrong,
 * or the selector.
 */
export function parseShard(text: string): ShardSelector | string {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return `--shard: got "${text}"; allowed: I/N with whole numbers 1 <= I <= N (e.g. 2/4)`;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) return `--shard: got "${text}"; the shard count N must be at least 1`;
  if (index < 1 || index > count) return `--shard: got "${text}"; the shard index I must be between 1 and N=${count}`;
  return { index, count };
}

/**
 * Splits tasks into `count` disjoint slices of about equal estimated cost (greedy longest
 * processing time first: tasks by decreasing cost, ties by id, each to the currently cheapest
 * shard, ties to the lowest shard). A pure function of the tasks and the count, so every shard
 * computes the same split on its own. Returns the shard number (0-based) of each task, by index.
 */
export function assignShards(tasks: readonly Task[], count: number): Int32Array {
  const order = tasks
    .map((task) => ({ task, cost: estimateTaskCost(task.config) }))
    .sort((a, b) => b.cost - a.cost || (a.task.id < b.task.id ? -1 : a.task.id > b.task.id ? 1 : 0));
  const load = new Float64Array(count);
  const shardOf = new Int32Array(tasks.length);
  for (const { task, cost } of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    load[best] += cost;
    shardOf[task.index] = best;
  }
  return shardOf;
}

/** The tasks of shard I of N (1-based), in expansion order. */
export function selectShard(tasks: readonly Task[], shard: ShardSelector): Task[] {
  const shardOf = assignShards(tasks, shard.count);
  return tasks.filter((task) => shardOf[task.index] === shard.index - 1);
}
