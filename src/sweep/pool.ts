import { Piscina } from 'piscina';
import type { TaskResult } from '../metrics/task-result.js';
import type { TrainTaskMessage } from '../../workers/train-task.js';

/** The worker entry next to this module: the compiled .js, or the .ts source under a TS loader (tests). */
function workerFile(): { filename: string; execArgv: string[] } {
  const compiled = import.meta.url.endsWith('.js');
  const url = new URL(`../../workers/train-task.${compiled ? 'js' : 'ts'}`, import.meta.url);
  return { filename: url.href, execArgv: compiled ? process.execArgv : [...process.execArgv, '--import', 'tsx'] };
}

export class TaskTimeoutError extends Error {
  constructor(seconds: number) {
    super(`task exceeded --task-timeout of ${seconds} s and was stopped`);
    this.name = 'TaskTimeoutError';
  }
}

/**
 * A Piscina pool of exactly `workers` threads, one task per thread at a time. A thread that dies
 * is replaced by Piscina; a task that exceeds the timeout is aborted (its thread terminated).
 */
export class TrainingPool {
  private readonly piscina: Piscina;

  constructor(readonly workers: number) {
    const { filename, execArgv } = workerFile();
    this.piscina = new Piscina({
      filename,
      execArgv,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  async run(message: TrainTaskMessage, timeoutSeconds: number | null): Promise<TaskResult> {
    if (timeoutSeconds === null) return (await this.piscina.run(message)) as TaskResult;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
    try {
      return (await this.piscina.run(message, { signal: controller.signal })) as TaskResult;
    } catch (error) {
      if (controller.signal.aborted) throw new TaskTimeoutError(timeoutSeconds);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
