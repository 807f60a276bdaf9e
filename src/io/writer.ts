/** SweepWriter: the coordinator's one way to put a finished task on disk. */
import type { TaskResult } from '../metrics/task-result.js';
import { curvesBatch, dataBatch, neuronsBatch, runsRowValues } from './batches.js';
import { PartSession, type PartLocation } from './parts.js';
import type { ConfigValue, PartTable, TableOptions } from './schema.js';

export class SweepWriter {
  private readonly session: PartSession;
  private readonly options: TableOptions;

  private constructor(session: PartSession, options: TableOptions) {
    this.session = session;
    this.options = options;
  }

  /** Opens a new set of part files for this session under dir/parts/ (a new session number each time). */
  static open(dir: string, options: TableOptions): SweepWriter {
    return new SweepWriter(PartSession.open(dir, options), options);
  }

  /** The session directory this writer appends to. */
  get sessionPath(): string {
    return this.session.path;
  }

  /**
   * Writes one finished task synchronously: its data rows (if result.data), neurons rows, curves
   * rows, then its runs row last, which is the commit marker. When it returns, the task is in the
   * files (a kill -9 of this process cannot lose it; close() also syncs them to the disk).
   * Everything is built and checked before the first byte is written.
   */
  commit(taskId: string, config: Record<string, ConfigValue>, result: TaskResult): void {
    const { schemas } = this.session;
    const runsValues = runsRowValues(this.options, taskId, config, result.run);
    if (result.data !== null && !this.options.saveData) {
      throw new Error(`task ${taskId}: result has data rows but the table options have saveData false`);
    }
    const frames: [PartTable, Uint8Array][] = [];
    if (result.data !== null) {
      frames.push(['data', this.session.encoder(schemas.data).encode(dataBatch(schemas.data, taskId, result.data))]);
    }
    if (result.neurons !== null) {
      frames.push(['neurons', this.session.encoder(schemas.neurons).encode(neuronsBatch(schemas.neurons, this.options, taskId, result.neurons))]);
    }
    if (result.curves !== null) {
      frames.push(['curves', this.session.encoder(schemas.curves).encode(curvesBatch(schemas.curves, taskId, result.curves))]);
    }
    const locations: Partial<Record<PartTable, PartLocation>> = {};
    for (const [table, frame] of frames) locations[table] = this.session.appendFrame(table, frame);
    this.session.commitRunsRow(runsValues, locations);
  }

  /** Ends the part streams cleanly and syncs them. A writer that is never closed (a crash) loses nothing committed. */
  close(): void {
    this.session.close();
  }
}
