/**
 * Progress display for `clwb run`: a redrawn bar on a terminal, plain lines otherwise
 * (logs, CI, pipes), one per experience evaluation and a few per experience while training.
 */
import type { RunEvent } from '../engine/index.ts';
import type { PlannedRun } from '../workbench/experiment-run.ts';

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}` : `${m}:${String(rest).padStart(2, '0')}`;
}

export class ProgressReporter {
  private lastPlain = 0;
  private barShown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly interactive: boolean,
  ) {}

  private line(text: string): void {
    if (this.barShown) {
      this.stream.write('\r\x1b[2K');
      this.barShown = false;
    }
    this.stream.write(`${text}\n`);
  }

  handle(event: RunEvent, run: PlannedRun, index: number, total: number): void {
    const who = `[${index + 1}/${total}] ${run.label} seed ${run.seed}`;
    switch (event.type) {
      case 'started':
        this.line(`${who}: started on ${event.backend} (${event.device})${event.resumedFrom !== undefined ? `, resumed after experience ${event.resumedFrom}` : ''}`);
        break;
      case 'progress': {
        const text = `${who} exp ${event.experience + 1}/${event.experiences} epoch ${event.epoch + 1} step ${event.step}/${event.steps} loss ${event.loss.toFixed(4)} ${Math.round(event.samplesPerSecond)} samples/s ETA ${formatDuration(event.etaSeconds)}`;
        if (this.interactive) {
          const width = 24;
          const filled = Math.round(event.fraction * width);
          const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
          const columns = this.stream.columns ?? 120;
          this.stream.write(`\r\x1b[2K[${bar}] ${text}`.slice(0, columns + 5));
          this.barShown = true;
        } else {
          const now = Date.now();
          if (now - this.lastPlain >= 5000 || event.step === event.steps) {
            this.line(text);
            this.lastPlain = now;
          }
        }
        break;
      }
      case 'evaluation':
        this.line(`${who}: after experience ${event.experience + 1}: accuracy ${event.accuracies.map((a) => a.toFixed(3)).join(' ')}${event.taskAccuracies ? ` | task-IL ${event.taskAccuracies.map((a) => a.toFixed(3)).join(' ')}` : ''}`);
        break;
      case 'checkpoint':
        break;
      case 'finished':
        this.line(`${who}: finished: ACC ${event.metrics.acc.toFixed(4)}${event.taskMetrics ? ` (task-IL ${event.taskMetrics.acc.toFixed(4)})` : ''}`);
        break;
      case 'failed':
        this.line(`${who}: FAILED [${event.error.code}] ${event.error.message}`);
        break;
    }
  }
}
