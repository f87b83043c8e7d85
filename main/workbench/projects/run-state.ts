/**
 * A run's state on disk, read from its event log: there is no separate status file
 * to fall out of step after a crash. The last `started` begins the current attempt;
 * a `failed` after it ends that attempt (cancelled when its code is CANCELLED); a
 * result.json means finished. Anything else was cut short (crash, app closed):
 * `interrupted`, and resumable.
 */
import type { RunEvent } from '../../engine/run/events.ts';
import type { Metrics } from '../../engine/metrics/index.ts';
import type { RunFailure, RunProgress, RunStatus, WorkerExitReason } from '../api/contract.ts';

export interface EventDigest {
  /** Status from the log alone (the scheduler's live state overrides it for queued/running runs). */
  status: Exclude<RunStatus, 'queued' | 'running'>;
  events: number;
  evaluations: number;
  progress?: RunProgress;
  metrics?: Metrics;
  error?: RunFailure;
  startedAt?: string;
  finishedAt?: string;
  backend?: string;
  device?: string;
  /** Whether the last attempt had started (a `started` after the last terminal event). */
  inProgress: boolean;
}

const EXIT_REASONS: readonly WorkerExitReason[] = ['crash', 'oom', 'killed', 'launch-failed'];

/** The API's view of a logged `failed` event (a worker exit is logged as INTERNAL with details.workerExit). */
export function failureOf(event: Extract<RunEvent, { type: 'failed' }>): RunFailure {
  const exit = event.error.details?.workerExit as { reason?: unknown } | undefined;
  const reason = EXIT_REASONS.find((r) => r === exit?.reason);
  return {
    code: reason ? 'WORKER_EXITED' : event.error.code,
    message: event.error.message,
    ...(event.error.details ? { details: event.error.details } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** Folds an event log into the run's current state. */
export function digestEvents(events: RunEvent[], hasResult: boolean): EventDigest {
  const digest: EventDigest = { status: 'interrupted', events: events.length, evaluations: 0, inProgress: false };
  let terminal: RunEvent | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'started':
        terminal = undefined;
        digest.inProgress = true;
        digest.startedAt ??= event.time;
        digest.backend = event.backend;
        digest.device = event.device;
        digest.error = undefined;
        // Evaluation rows of a resumed run restart at its checkpoint.
        digest.evaluations = event.resumedFrom ?? 0;
        break;
      case 'progress':
        digest.progress = {
          experience: event.experience,
          experiences: event.experiences,
          epoch: event.epoch,
          step: event.step,
          steps: event.steps,
          loss: event.loss,
          samplesPerSecond: event.samplesPerSecond,
          fraction: event.fraction,
          etaSeconds: event.etaSeconds,
        };
        break;
      case 'evaluation':
        digest.evaluations = event.experience + 1;
        break;
      case 'finished':
        terminal = event;
        digest.inProgress = false;
        digest.metrics = event.metrics;
        digest.finishedAt = event.time;
        break;
      case 'failed':
        terminal = event;
        digest.inProgress = false;
        digest.error = failureOf(event);
        digest.finishedAt = event.time;
        break;
      case 'checkpoint':
        break;
    }
  }
  if (hasResult) digest.status = 'finished';
  else if (terminal?.type === 'failed') digest.status = terminal.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
  // A `finished` event without result.json: the app stopped between the two; the run must be redone from its checkpoint.
  else digest.status = 'interrupted';
  return digest;
}
