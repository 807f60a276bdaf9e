import cliProgress from 'cli-progress';

export interface ProgressCounts {
  done: number;
  failed: number;
  total: number;
}

/**
 * Progress on stderr: a live bar on a terminal (done / failed / total, tasks per second, ETA),
 * otherwise one line every `lineEverySeconds`; nothing when quiet.
 */
export class Progress {
  private readonly bar: cliProgress.SingleBar | null = null;
  private readonly started = Date.now();
  private lastLine = Date.now();
  private readonly counts: ProgressCounts;
  private readonly startDone: number;

  constructor(
    total: number,
    alreadyDone: number,
    private readonly quiet: boolean,
    private readonly lineEverySeconds = 30,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.counts = { done: alreadyDone, failed: 0, total };
    this.startDone = alreadyDone;
    if (quiet) return;
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'tasks {bar} {value}/{total} | failed {failed} | {rate} tasks/s | ETA {eta_formatted}',
          stream,
          etaBuffer: 50,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, alreadyDone, { failed: 0, rate: '0.00' });
    }
  }

  tick(failed: boolean): void {
    this.counts.done++;
    if (failed) this.counts.failed++;
    if (this.quiet) return;
    const rate = this.rate();
    if (this.bar) {
      this.bar.update(this.counts.done, { failed: this.counts.failed, rate: rate.toFixed(2) });
    } else if ((Date.now() - this.lastLine) / 1000 >= this.lineEverySeconds) {
      this.lastLine = Date.now();
      this.stream.write(`${this.line()}\n`);
    }
  }

  private rate(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? (this.counts.done - this.startDone) / seconds : 0;
  }

  line(): string {
    const { done, failed, total } = this.counts;
    const rate = this.rate();
    const eta = rate > 0 ? Math.round((total - done) / rate) : null;
    return `progress: ${done}/${total} tasks done, ${failed} failed, ${rate.toFixed(2)} tasks/s, ETA ${eta === null ? '?' : `${eta} s`}`;
  }

  stop(): void {
    this.bar?.stop();
  }
}
