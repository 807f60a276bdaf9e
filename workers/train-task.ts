/**
 * Piscina worker: trains one task and hands its result back. Thin on purpose: decode the
 * message, call the library, return the typed arrays as transferables (moved, not copied).
 * Workers never write files; the coordinator owns all I/O.
 */
import { Piscina } from 'piscina';
import { runTask } from '../src/metrics/index.js';
import type { TaskResult } from '../src/metrics/task-result.js';
import type { TrainConfig } from '../src/model/config.js';
import type { SaveOptions } from '../src/spec/index.js';

export interface TrainTaskMessage {
  taskId: string;
  config: TrainConfig;
  save: SaveOptions;
}

/**
 * Test-only fault injection, for the fault-isolation tests: NEURAL_SHATTER_TEST_FAULTS holds
 * JSON {taskId: "throw" | "exit" | "hang"}. Specs cannot reach it.
 */
function injectFault(taskId: string): void {
  const faults = process.env.NEURAL_SHATTER_TEST_FAULTS;
  if (!faults) return;
  const fault = (JSON.parse(faults) as Record<string, string>)[taskId];
  if (fault === 'throw') throw new Error(`injected fault: task ${taskId} throws`);
  if (fault === 'exit') process.exit(3);
  if (fault === 'hang') {
    const until = Date.now() + 3_600_000;
    while (Date.now() < until) {
      // Busy on purpose: a task that never returns, for --task-timeout.
    }
  }
}

function transferables(result: TaskResult): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const table of [result.curves, result.neurons, result.data]) {
    if (!table) continue;
    for (const value of Object.values(table)) {
      // Only views that own their whole buffer move; a view into shared memory is copied instead.
      if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) {
        buffers.add(value.buffer);
      }
    }
  }
  return [...buffers];
}

export default function trainTask(message: TrainTaskMessage): unknown {
  injectFault(message.taskId);
  const result = runTask(message.config, message.save);
  const list = transferables(result);
  return Piscina.move({
    get [Piscina.transferableSymbol]() {
      return list;
    },
    get [Piscina.valueSymbol]() {
      return result;
    },
  } as unknown as ArrayBuffer);
}
